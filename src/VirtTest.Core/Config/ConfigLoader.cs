namespace VirtTest.Core.Config;

/// <summary>What to load: files, text after them, filter lines last, and how to expand.</summary>
public sealed class ConfigLoadOptions
{
    /// <summary>Config files (full or relative paths), parsed in order as one configuration.</summary>
    public IReadOnlyList<string> Files { get; init; } = Array.Empty<string>();
    /// <summary>Config text parsed after the files.</summary>
    public string? Text { get; init; }
    /// <summary>The name errors give the text's lines (<c>&lt;text&gt;:3</c>).</summary>
    public string TextName { get; init; } = "<text>";
    /// <summary>The folder relative includes in the text resolve against (the current directory when null).</summary>
    public string? TextBaseDirectory { get; init; }
    /// <summary>Filter lines, applied last (<see cref="FilterLine"/>: a bare filter means <c>only</c>).</summary>
    public IReadOnlyList<string> Filters { get; init; } = Array.Empty<string>();
    /// <summary>Defaults mode: blocks with a default variant give only that one.</summary>
    public bool Defaults { get; init; }
    /// <summary>Named blocks that defaults mode still expands in full.</summary>
    public IReadOnlyList<string> ExpandDefaults { get; init; } = Array.Empty<string>();
    /// <summary>Keep keys renamed by <c>suffix</c> apart even where equal (the reference's skipdups=False).</summary>
    public bool KeepSuffixedKeys { get; init; }
    /// <summary>Use the parse cache for the files (<see cref="ParseCache"/>).</summary>
    public bool UseCache { get; init; } = true;
    /// <summary>The cache folder; null for <see cref="ParseCache.DefaultDirectory"/>.</summary>
    public string? CacheDirectory { get; init; }
}

/// <summary>A loaded configuration, ready to expand.</summary>
public sealed class LoadedConfig
{
    private readonly ConfigLoadOptions _options;

    internal LoadedConfig(CartesianConfig config, IReadOnlyList<string> filters, bool fromCache, ConfigLoadOptions options)
    {
        Config = config;
        Filters = filters;
        FromCache = fromCache;
        _options = options;
    }

    public CartesianConfig Config { get; }
    /// <summary>The filter lines as applied (normalised).</summary>
    public IReadOnlyList<string> Filters { get; }
    /// <summary>Whether the files' parsed tree came from the parse cache.</summary>
    public bool FromCache { get; }

    /// <summary>The dicts, lazily, with the options' expansion settings.</summary>
    public IEnumerable<VirtParams> Expand(CancellationToken cancellationToken = default) =>
        Config.Expand(_options.Defaults, cancellationToken, _options.ExpandDefaults, _options.KeepSuffixedKeys);
}

/// <summary>
/// The one way configuration input becomes dicts, shared by every caller (Expand-VirtConfig,
/// Invoke-VirtTestRun): files (through the parse cache), then text, then filter lines.
/// </summary>
public static class ConfigLoader
{
    /// <summary>Parses everything the options name. Config errors are thrown as <see cref="ConfigError"/>.</summary>
    public static LoadedConfig Load(ConfigLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var config = new CartesianConfig();
        var fromCache = config.ParseFiles(options.Files, options.UseCache ? new ParseCache(options.CacheDirectory) : null);
        if (options.Text is not null) config.ParseString(options.Text, options.TextName, options.TextBaseDirectory);
        var filters = new List<string>();
        foreach (var line in options.Filters)
        {
            if (FilterLine.Normalize(line) is not { } filter) continue;
            config.AddFilter(filter);
            filters.Add(filter);
        }
        return new LoadedConfig(config, filters, fromCache, options);
    }
}
