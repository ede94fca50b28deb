using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace VirtTest.Core.Serialization;

/// <summary>
/// Writes expanded parameter dictionaries as one YAML document: a sequence of mappings,
/// keys in insertion order. Values are strings; the <c>dep</c> key is written as a list.
/// </summary>
/// <remarks>
/// Strings that a YAML reader would otherwise take for a number, boolean or null
/// (<c>"2"</c>, <c>"yes"</c>, <c>"null"</c>, <c>""</c>) are double-quoted, so reading
/// the document back always gives the same strings.
/// </remarks>
public static partial class ParamsYaml
{
    /// <summary>The key whose value is written as a YAML list.</summary>
    public const string DepKey = "dep";

    /// <summary>Serializes <paramref name="dicts"/> to a YAML string.</summary>
    public static string ToYaml(IEnumerable<IEnumerable<KeyValuePair<string, object?>>> dicts)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        Write(writer, dicts);
        return writer.ToString();
    }

    /// <summary>Serializes string dictionaries (e.g. VirtParams) to a YAML string.</summary>
    public static string ToYaml(IEnumerable<IEnumerable<KeyValuePair<string, string>>> dicts)
    {
        ArgumentNullException.ThrowIfNull(dicts);
        return ToYaml(dicts.Select(d => d.Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value))));
    }

    /// <summary>Serializes <paramref name="dicts"/> to <paramref name="writer"/>.</summary>
    public static void Write(TextWriter writer, IEnumerable<IEnumerable<KeyValuePair<string, object?>>> dicts)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(dicts);

        var emitter = new Emitter(writer);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        emitter.Emit(new SequenceStart(null, null, true, SequenceStyle.Block));
        foreach (var dict in dicts)
        {
            emitter.Emit(new MappingStart(null, null, true, MappingStyle.Block));
            if (dict is not null)
            {
                foreach (var (key, value) in dict)
                {
                    EmitString(emitter, key);
                    EmitValue(emitter, key, value);
                }
            }
            emitter.Emit(new MappingEnd());
        }
        emitter.Emit(new SequenceEnd());
        emitter.Emit(new DocumentEnd(true));
        emitter.Emit(new StreamEnd());
    }

    /// <summary>Splits a dependency value ("a b", "a, b") into names.</summary>
    public static IReadOnlyList<string> SplitDep(string? value) =>
        string.IsNullOrWhiteSpace(value)
            ? Array.Empty<string>()
            : value.Split(new[] { ' ', '\t', ',' }, StringSplitOptions.RemoveEmptyEntries);

    private static void EmitValue(IEmitter emitter, string key, object? value)
    {
        switch (value)
        {
            case null:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, true, false));
                return;
            case string s when key == DepKey:
                EmitList(emitter, SplitDep(s));
                return;
            case string s:
                EmitString(emitter, s);
                return;
            case IDictionary:
                throw new ArgumentException($"Value of key '{key}' is a dictionary; only strings and lists are supported.");
            case IEnumerable items:
                EmitList(emitter, items.Cast<object?>().Select(ToText));
                return;
            default:
                EmitString(emitter, ToText(value));
                return;
        }
    }

    private static void EmitList(IEmitter emitter, IEnumerable<string> items)
    {
        emitter.Emit(new SequenceStart(null, null, true, SequenceStyle.Flow));
        foreach (var item in items)
        {
            EmitString(emitter, item);
        }
        emitter.Emit(new SequenceEnd());
    }

    private static string ToText(object? value) =>
        value switch
        {
            null => string.Empty,
            string s => s,
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? string.Empty,
        };

    private static void EmitString(IEmitter emitter, string value)
    {
        var style = NeedsQuotes(value) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any;
        emitter.Emit(new Scalar(null, null, value, style, true, true));
    }

    /// <summary>True when a plain scalar with this text would not read back as that string.</summary>
    internal static bool NeedsQuotes(string value) =>
        value.Length == 0
        || value != value.Trim()
        || NonStringPlainScalar().IsMatch(value);

    // YAML 1.1 and 1.2 core-schema forms of null, booleans, integers, floats and timestamps.
    [GeneratedRegex(
        @"^(?:~|null|Null|NULL" +
        @"|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF" +
        @"|[-+]?(?:0|[1-9][0-9_]*)" +
        @"|[-+]?0[0-7_]+|0o[0-7]+|[-+]?0x[0-9a-fA-F_]+|[-+]?0b[01_]+" +
        @"|[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?" +
        @"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?" +
        @"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)" +
        @"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt \t].*)?" +
        @"|<<|=)$",
        RegexOptions.CultureInvariant)]
    private static partial Regex NonStringPlainScalar();
}
