namespace VirtTest.PowerShell.Internal;

/// <summary>Normalises the -Filter lines of Expand-VirtConfig.</summary>
internal static class FilterLine
{
    /// <summary>
    /// "only x", "no y" (and "join ...") are passed through; anything else is a bare
    /// filter and means "only &lt;filter&gt;". Returns null for blank input.
    /// </summary>
    public static string? Normalize(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return null;
        }
        var trimmed = line.Trim();
        if (StartsWithKeyword(trimmed, "only") || StartsWithKeyword(trimmed, "no") || StartsWithKeyword(trimmed, "join"))
        {
            return trimmed;
        }
        return "only " + trimmed;
    }

    private static bool StartsWithKeyword(string text, string keyword) =>
        text.Length > keyword.Length
        && text.StartsWith(keyword, StringComparison.Ordinal)
        && char.IsWhiteSpace(text[keyword.Length]);
}
