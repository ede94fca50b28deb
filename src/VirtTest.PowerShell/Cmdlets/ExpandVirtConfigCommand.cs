using System.Management.Automation;
using VirtTest.Core.Config;
using VirtTest.PowerShell.Internal;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Expand-VirtConfig</c>: parses Cartesian config files (and/or text) and streams the
/// expanded test dictionaries as <see cref="VirtParams"/> objects.
/// </summary>
/// <remarks>
/// One <see cref="CartesianConfig"/> per invocation. Every path (from the parameter or the
/// pipeline) is parsed in <see cref="ProcessRecord"/>; -Text is parsed after all files;
/// each -Filter line is applied last, then the dictionaries are expanded lazily and written
/// one at a time, so <c>Select-Object -First 1</c> returns without expanding the rest.
/// </remarks>
[Cmdlet(VerbsData.Expand, "VirtConfig", DefaultParameterSetName = PathSet)]
[OutputType(typeof(VirtParams))]
public sealed class ExpandVirtConfigCommand : VirtCmdlet
{
    private const string PathSet = "Path";
    private const string TextSet = "Text";

    private readonly CartesianConfig _config = new();

    /// <summary>Config files to parse, in order. Wildcards and PowerShell paths are resolved.</summary>
    [Parameter(ParameterSetName = PathSet, Mandatory = true, Position = 0,
        ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = TextSet, Position = 0,
        ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>
    /// Filter lines applied after all input: "only a..b", "no c"; a bare filter means "only".
    /// </summary>
    [Parameter]
    [ArgumentCompleter(typeof(VariantNameCompleter))]
    [ValidateNotNull]
    public string[] Filter { get; set; } = Array.Empty<string>();

    /// <summary>Defaults mode: a variants block with a default variant yields only that one.</summary>
    [Parameter]
    public SwitchParameter Defaults { get; set; }

    /// <summary>Config text, parsed after the files (as file name "&lt;text&gt;").</summary>
    /// <remarks>
    /// Only in the Text parameter set (where -Path is optional): with -Text alone, a
    /// -Text that also belonged to the Path set would leave PowerShell choosing the
    /// default (Path) set and asking for the mandatory -Path.
    /// </remarks>
    [Parameter(ParameterSetName = TextSet, Mandatory = true)]
    [ValidateNotNull]
    public string? Text { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var path in Path)
        {
            foreach (var file in ProviderPaths.ResolveFiles(this, path))
            {
                if (Directory.Exists(file))
                {
                    WriteError(new ErrorRecord(
                        new ArgumentException($"'{file}' is a directory, not a config file."),
                        "VirtTest.PathIsDirectory",
                        ErrorCategory.InvalidArgument,
                        file));
                    continue;
                }
                WriteVerbose($"Parsing {file}");
                try
                {
                    _config.ParseFile(file);
                }
                catch (ConfigError error)
                {
                    ThrowConfigError(error);
                }
            }
        }
    }

    /// <inheritdoc />
    protected override void EndProcessingCore()
    {
        try
        {
            if (Text is not null)
            {
                // Relative includes in -Text resolve against the PowerShell location
                // ($PWD), which is not the process's current directory.
                _config.ParseString(Text, "<text>", SessionState.Path.CurrentFileSystemLocation.ProviderPath);
            }
            foreach (var line in Filter)
            {
                var filter = FilterLine.Normalize(line);
                if (filter is not null)
                {
                    WriteVerbose($"Filter: {filter}");
                    _config.AddFilter(filter);
                }
            }

            foreach (var dict in _config.Expand(Defaults.IsPresent, CancellationToken))
            {
                WriteObject(dict);
            }
        }
        catch (ConfigError error)
        {
            ThrowConfigError(error);
        }
        catch (Exception ex) when (IsOwnCancellation(ex))
        {
            throw new PipelineStoppedException();
        }
    }
}
