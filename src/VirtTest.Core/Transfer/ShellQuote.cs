namespace VirtTest.Core.Transfer;

/// <summary>Quoting for a POSIX shell on a guest or a remote host.</summary>
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

    /// <summary>
    /// A command line that a POSIX shell splits back into exactly these arguments (program
    /// first), each quoted with <see cref="Single"/>: what an SSH server's shell runs for an
    /// argument list. A NUL cannot be passed as an argument and is refused.
    /// </summary>
    public static string Command(IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var words = new List<string>();
        foreach (var a in arguments)
        {
            ArgumentNullException.ThrowIfNull(a, nameof(arguments));
            if (a.Contains('\0')) throw new ArgumentException("A command argument cannot contain a NUL character.", nameof(arguments));
            words.Add(Single(a));
        }
        if (words.Count == 0) throw new ArgumentException("A command needs at least the program.", nameof(arguments));
        return string.Join(' ', words);
    }
}
