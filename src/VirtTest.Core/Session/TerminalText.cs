using System.Text.RegularExpressions;

namespace VirtTest.Core.Session;

/// <summary>Cleans what a guest's terminal sends: escape sequences and carriage returns.</summary>
public static partial class TerminalText
{
    /// <summary>
    /// Removes ANSI/VT escape sequences (CSI such as the cursor query ESC[6n that busybox's
    /// shell sends, OSC, and two-byte escapes), carriage returns and other control bytes
    /// except newline and tab.
    /// </summary>
    public static string Clean(string raw) => ControlRegex().Replace(EscapeRegex().Replace(raw, ""), "");

    /// <summary>
    /// Splits streamed text into what can be cleaned now and an unfinished escape sequence
    /// at its end, which must wait for the next chunk.
    /// </summary>
    public static (string Complete, string Pending) SplitPending(string raw)
    {
        var esc = raw.LastIndexOf('\x1b');
        if (esc < 0 || raw.Length - esc > 64) return (raw, "");
        var m = EscapeRegex().Match(raw, esc);
        return m.Success && m.Index == esc ? (raw, "") : (raw[..esc], raw[esc..]);
    }

    [GeneratedRegex(@"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")]
    private static partial Regex EscapeRegex();

    [GeneratedRegex(@"[\x00-\x08\x0b-\x1f\x7f]")]
    private static partial Regex ControlRegex();
}
