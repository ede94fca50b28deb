using System.Management.Automation;
using VirtTest.Core.Config;
using VirtTest.PowerShell.Internal;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Expand-VirtConfig</c>: parses Cartesian config files (and/or text) and streams the
/// expanded test dictionaries as <see cref="VirtParams"/> objects.
/// </summary>
/// <remarks>
/// Paths (from the parameter or the pipeline) are resolved in <see cref="ProcessRecord"/>; at
/// the end, <see cref="ConfigLoader"/> parses the files (through the parse cache unless
/// -NoCache), then -Text, then each -Filter line, and the dictionaries are expanded lazily and
/// written one at a time, so <c>Select-Object -First 1</c> returns without expanding the rest.
/// A path that cannot be resolved is reported; when no file is left (and no -Text), nothing is written.
/// </remarks>
[Cmdlet(VerbsData.Expand, "VirtConfig", DefaultParameterSetName = PathSet)]
[OutputType(typeof(VirtParams))]
public sealed class ExpandVirtConfigCommand : VirtCmdlet
{
    private const string PathSet = "Path";
    private const string TextSet = "Text";

    private readonly List<string> _files = new();

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

    /// <summary>Named variants blocks that -Defaults still expands in full (the reference's expand option).</summary>
    [Parameter]
    [ValidateNotNull]
    public string[] ExpandDefaults { get; set; } = Array.Empty<string>();

    /// <summary>
    /// Keep every key a <c>suffix</c> statement renamed under its suffixed name (<c>mem_vm1</c>), even
    /// where its value equals the plain key's; by default such duplicates fold into the plain key.
    /// </summary>
    [Parameter]
    public SwitchParameter KeepSuffixedKeys { get; set; }

    /// <summary>Parse the files without the parse cache (neither read nor written).</summary>
    [Parameter]
    public SwitchParameter NoCache { get; set; }

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
                _files.Add(file);
            }
        }
    }

    /// <inheritdoc />
    protected override void EndProcessingCore()
    {
        // Nothing to parse (every path failed and was reported): no dicts, not one empty dict.
        if (_files.Count == 0 && Text is null) return;
        try
        {
            var loaded = ConfigLoader.Load(new ConfigLoadOptions
            {
                Files = _files,
                // Relative includes in -Text resolve against the PowerShell location ($PWD),
                // which is not the process's current directory.
                Text = Text,
                TextBaseDirectory = SessionState.Path.CurrentFileSystemLocation.ProviderPath,
                Filters = Filter,
                Defaults = Defaults.IsPresent,
                ExpandDefaults = ExpandDefaults,
                KeepSuffixedKeys = KeepSuffixedKeys.IsPresent,
                UseCache = !NoCache.IsPresent,
            });
            WriteVerbose($"Parsed {_files.Count} file(s){(loaded.FromCache ? " (from the parse cache)" : "")}; filters: {string.Join("; ", loaded.Filters)}");
            foreach (var dict in loaded.Expand(CancellationToken))
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
