namespace VirtTest.Core.Config;

/// <summary>What kind of problem a <see cref="ConfigError"/> reports.</summary>
public enum ConfigErrorKind
{
    /// <summary>A character that the language does not allow where it stands.</summary>
    Lexer,
    /// <summary>A statement that does not fit the grammar.</summary>
    Parser,
    /// <summary>An <c>include</c> names a file that does not exist.</summary>
    MissingInclude,
    /// <summary>A file includes itself, directly or through others.</summary>
    IncludeCycle,
    /// <summary>A filter expression (only/no/join/condition) is malformed.</summary>
    Filter,
    /// <summary>A statement parsed but could not be applied while expanding (bad regex, bad number, ...).</summary>
    Expansion,
}

/// <summary>
/// The one error type the Cartesian config engine throws. It always says where (file, line,
/// column when known), the text of the line, and what was expected instead.
/// </summary>
public sealed class ConfigError : Exception
{
    public ConfigError(ConfigErrorKind kind, string problem, string? fileName, int line,
        string? lineText = null, int? column = null, string? expected = null, Exception? inner = null)
        : base(Compose(problem, fileName, line, lineText, column, expected), inner)
    {
        Kind = kind;
        Problem = problem;
        FileName = fileName;
        Line = line;
        LineText = lineText;
        Column = column;
        Expected = expected;
    }

    public ConfigErrorKind Kind { get; }
    /// <summary>The problem alone, without the location.</summary>
    public string Problem { get; }
    public string? FileName { get; }
    /// <summary>1-based line number, 0 when the error is not tied to a line.</summary>
    public int Line { get; }
    public int? Column { get; }
    public string? LineText { get; }
    public string? Expected { get; }

    private static string Compose(string problem, string? file, int line, string? text, int? column, string? expected)
    {
        var where = file ?? "<unknown>";
        if (line > 0) where += ":" + line;
        if (column is int c) where += ":" + c;
        var msg = where + ": " + problem;
        if (!string.IsNullOrEmpty(expected)) msg += " (expected " + expected + ")";
        if (!string.IsNullOrEmpty(text)) msg += " in line '" + text + "'";
        return msg;
    }
}
