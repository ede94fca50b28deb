namespace VirtTest.Core.Transfer;

/// <summary>Quoting for a POSIX shell on the guest.</summary>
public static class ShellQuote
{
    /// <summary>
    /// One shell word with exactly this text: wrapped in single quotes, each single quote
    /// written as <c>'\''</c>. Nothing inside is expanded ($, `, \, *, spaces, newlines).
    /// </summary>
    public static string Single(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
