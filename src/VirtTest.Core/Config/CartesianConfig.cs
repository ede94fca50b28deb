namespace VirtTest.Core.Config;

/// <summary>
/// A Cartesian config: parse files and strings (and filter lines, which are statements too),
/// then expand the tree into test parameter dicts, lazily and in the reference order.
/// </summary>
/// <example>
/// var cfg = new CartesianConfig();
/// cfg.ParseFile("tests.cfg");
/// cfg.AddFilter("only qcow2..smp2");
/// foreach (var p in cfg.Expand()) Console.WriteLine(p.ShortName);
/// </example>
public sealed class CartesianConfig
{
    private readonly ConfigParser _parser = new();

    /// <summary>Parses a config file; relative includes resolve against its folder.</summary>
    public void ParseFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _parser.ParseFile(path);
    }

    /// <summary>
    /// Parses config text. Relative includes resolve against <paramref name="baseDirectory"/>
    /// (the process's current directory when null).
    /// </summary>
    public void ParseString(string text, string fileName = "<string>", string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        _parser.ParseString(text, fileName, baseDirectory);
    }

    /// <summary>
    /// Parses config files in order, through <paramref name="cache"/> when given (see
    /// <see cref="ParseCache"/>). Only on a configuration nothing was parsed into yet; returns
    /// whether the tree came from the cache.
    /// </summary>
    public bool ParseFiles(IReadOnlyList<string> paths, ParseCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (_parser.FilesRead.Count > 0 || _parser.Root.Content.Count > 0 || _parser.Root.Children.Count > 0)
            throw new InvalidOperationException("ParseFiles needs a configuration that nothing was parsed into yet");
        if (cache is not null) return cache.ParseFiles(_parser, paths);
        foreach (var p in paths) ParseFile(p);
        return false;
    }

    /// <summary>The variant tree parsed so far (for tests and diagnostics).</summary>
    internal Node Root => _parser.Root;

    /// <summary>Whether filter lines seen before are taken from memory (<see cref="FilterLineMemo"/>); off only to test that it changes nothing.</summary>
    internal bool RememberFilterLines
    {
        get => _parser.RememberFilterLines;
        set => _parser.RememberFilterLines = value;
    }

    /// <summary>Every file parsed so far (includes too), with the hash of its content.</summary>
    public IReadOnlyList<ConfigSource> FilesRead => _parser.FilesRead;

    /// <summary>
    /// Adds a statement after everything parsed so far, typically a filter line such as
    /// <c>only qcow2..smp2</c> or <c>no Windows</c>; a bare filter is taken as <c>only</c>
    /// (<see cref="FilterLine.Normalize"/>).
    /// </summary>
    public void AddFilter(string filterLine)
    {
        ArgumentNullException.ThrowIfNull(filterLine);
        if (FilterLine.Normalize(filterLine) is not { } line) return;
        _parser.ParseString(line, "<filter>", null);
    }

    /// <summary>The variant names seen in the parsed text, for completion and discovery.</summary>
    public IReadOnlyCollection<string> VariantNames => _parser.VariantNames;

    /// <summary>
    /// The dicts, one at a time, in the reference order. <paramref name="defaults"/> takes only the
    /// default variant of blocks that have one, except for the named blocks in
    /// <paramref name="expandDefaults"/>. <paramref name="keepSuffixedKeys"/> keeps every key a
    /// <c>suffix</c> renamed under its suffixed name, even where its value equals the plain key's
    /// (the reference's <c>skipdups=False</c>). The sequence can be enumerated more than once.
    /// </summary>
    public IEnumerable<VirtParams> Expand(bool defaults = false, CancellationToken cancellationToken = default,
        IEnumerable<string>? expandDefaults = null, bool keepSuffixedKeys = false)
    {
        var expand = new HashSet<string>(expandDefaults ?? Array.Empty<string>(), StringComparer.Ordinal);
        return new Expander.Sequence(_parser.Root, defaults, expand, keepSuffixedKeys, cancellationToken);
    }

    /// <summary>Convenience: parse the files, apply the filters, expand.</summary>
    public static IEnumerable<VirtParams> ExpandFiles(IEnumerable<string> paths, IEnumerable<string>? filters = null,
        bool defaults = false, CancellationToken cancellationToken = default)
    {
        var cfg = new CartesianConfig();
        foreach (var p in paths) cfg.ParseFile(p);
        foreach (var f in filters ?? Array.Empty<string>()) cfg.AddFilter(f);
        return cfg.Expand(defaults, cancellationToken);
    }
}
