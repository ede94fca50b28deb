namespace VirtTest.Core.Config;

/// <summary>
/// The one rule for a filter line given on its own (a cmdlet's <c>-Filter</c>, a runner option):
/// a statement of the language (<c>only x</c>, <c>no x</c>, <c>join x</c>, <c>del key</c>,
/// <c>key = value</c>, <c>filter: key = value</c>, ...) is taken as written; anything else is a
/// bare filter such as <c>qcow2..(os=linux)</c> and means <c>only</c> it.
/// </summary>
public static class FilterLine
{
    private static readonly string[] StatementKeywords = { "only ", "no ", "join ", "del ", "include ", "suffix ", "variants" };

    /// <summary>The line as a statement, or null for a blank line.</summary>
    public static string? Normalize(string? line)
    {
        if (string.IsNullOrWhiteSpace(line)) return null;
        var trimmed = line.Trim();
        return IsStatement(trimmed) ? trimmed : "only " + trimmed;
    }

    /// <summary>Whether a (trimmed) line is a statement already, rather than a bare filter.</summary>
    public static bool IsStatement(string line)
    {
        // The keywords as the lexer recognises them: at the start, followed by a space.
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
}
