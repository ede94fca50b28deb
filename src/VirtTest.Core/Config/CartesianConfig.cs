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
    /// Adds a statement after everything parsed so far, typically a filter line such as
    /// <c>only qcow2..smp2</c> or <c>no Windows</c>; a bare filter is taken as <c>only</c>.
    /// </summary>
    public void AddFilter(string filterLine)
    {
        ArgumentNullException.ThrowIfNull(filterLine);
        var line = filterLine.Trim();
        if (line.Length == 0) return;
        if (!LooksLikeStatement(line)) line = "only " + line;
        _parser.ParseString(line, "<filter>", null);
    }

    private static readonly string[] StatementKeywords = { "only ", "no ", "join ", "del ", "include ", "suffix ", "variants" };

    /// <summary>Whether a line is a statement already, rather than a bare filter such as <c>qcow2..(os=linux)</c>.</summary>
    private static bool LooksLikeStatement(string line)
    {
        if (StatementKeywords.Any(k => line.StartsWith(k, StringComparison.Ordinal))) return true;
        if (line.StartsWith('!') || line.Contains(':') || line.Contains('\n')) return true;
        // An '=' outside parentheses makes an assignment; inside, it names a block's value.
        var depth = 0;
        foreach (var c in line)
        {
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (c == '=' && depth <= 0) return true;
        }
        return false;
    }

    /// <summary>The variant names seen in the parsed text, for completion and discovery.</summary>
    public IReadOnlyCollection<string> VariantNames => _parser.VariantNames;

    /// <summary>
    /// The dicts, one at a time, in the reference order. <paramref name="defaults"/> takes only the
    /// default variant of blocks that have one, except for the named blocks in
    /// <paramref name="expandDefaults"/>. <paramref name="keepDuplicates"/> keeps every key a
    /// <c>suffix</c> renamed under its suffixed name, even where its value equals the plain key's
    /// (the reference's <c>skipdups=False</c>). The sequence can be enumerated more than once.
    /// </summary>
    public IEnumerable<VirtParams> Expand(bool defaults = false, CancellationToken cancellationToken = default,
        IEnumerable<string>? expandDefaults = null, bool keepDuplicates = false)
    {
        var expand = new HashSet<string>(expandDefaults ?? Array.Empty<string>(), StringComparer.Ordinal);
        return new Expander.Sequence(_parser.Root, defaults, expand, keepDuplicates, cancellationToken);
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
