using System.Collections;
using System.Management.Automation;
using VirtTest.Core.Config;
using VirtTest.Core.Serialization;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>ConvertTo-VirtYaml</c>: collects parameter dictionaries from the pipeline and writes
/// one YAML string, a sequence of mappings (see <see cref="ParamsYaml"/>).
/// </summary>
[Cmdlet(VerbsData.ConvertTo, "VirtYaml")]
[OutputType(typeof(string))]
public sealed class ConvertToVirtYamlCommand : VirtCmdlet
{
    private readonly List<List<KeyValuePair<string, object?>>> _dicts = new();

    /// <summary>A VirtParams, any IDictionary, or a PSCustomObject (its properties).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [AllowNull]
    [AllowEmptyCollection]
    public object? InputObject { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var value = Unwrap(InputObject);
        if (value is null)
        {
            return;
        }
        // -InputObject @($a, $b) (not through the pipeline): take each element.
        if (value is IEnumerable items and not IDictionary and not string)
        {
            foreach (var item in items)
            {
                Add(item);
            }
            return;
        }
        Add(InputObject);
    }

    /// <inheritdoc />
    protected override void EndProcessingCore()
    {
        CancellationToken.ThrowIfCancellationRequested();
        WriteObject(ParamsYaml.ToYaml(_dicts));
    }

    private void Add(object? item)
    {
        var pso = item as PSObject;
        var value = Unwrap(item);
        switch (value)
        {
            case null:
                return;
            case VirtParams vp:
                _dicts.Add(FromVirtParams(vp));
                return;
            case IDictionary dict:
                _dicts.Add(FromDictionary(dict));
                return;
            case PSCustomObject when pso is not null:
                _dicts.Add(pso.Properties
                    .Select(p => new KeyValuePair<string, object?>(p.Name, ValueOf(SafeValue(p))))
                    .ToList());
                return;
            default:
                WriteError(new ErrorRecord(
                    new ArgumentException(
                        $"ConvertTo-VirtYaml takes VirtParams or dictionaries, not '{value.GetType().FullName}'."),
                    "VirtTest.ConvertToVirtYaml.UnsupportedInput",
                    ErrorCategory.InvalidType,
                    value));
                return;
        }
    }

    private static List<KeyValuePair<string, object?>> FromVirtParams(VirtParams vp)
    {
        var list = new List<KeyValuePair<string, object?>>(vp.Count);
        foreach (var (key, value) in (IEnumerable<KeyValuePair<string, string>>)vp)
        {
            object? v = key == ParamsYaml.DepKey ? vp.Dep : value;
            list.Add(new KeyValuePair<string, object?>(key, v));
        }
        return list;
    }

    private static List<KeyValuePair<string, object?>> FromDictionary(IDictionary dict)
    {
        var list = new List<KeyValuePair<string, object?>>(dict.Count);
        foreach (DictionaryEntry entry in dict)
        {
            var key = Unwrap(entry.Key)?.ToString() ?? string.Empty;
            list.Add(new KeyValuePair<string, object?>(key, ValueOf(entry.Value)));
        }
        return list;
    }

    private static object? SafeValue(PSPropertyInfo property)
    {
        try
        {
            return property.Value;
        }
        catch (GetValueException)
        {
            return null;
        }
    }

    private static object? ValueOf(object? value)
    {
        value = Unwrap(value);
        return value switch
        {
            null => null,
            string s => s,
            IDictionary => LanguagePrimitives.ConvertTo<string>(value),
            IEnumerable e => e.Cast<object?>().Select(x => LanguagePrimitives.ConvertTo<string>(Unwrap(x))).ToList(),
            _ => LanguagePrimitives.ConvertTo<string>(value),
        };
    }

    private static object? Unwrap(object? value) => value is PSObject pso ? pso.BaseObject : value;
}
