using System.Globalization;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Session;

/// <summary>The kernel's log levels (syslog priorities), most severe first.</summary>
public enum KernelLogLevel
{
    Emerg = 0,
    Alert = 1,
    Crit = 2,
    Err = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

/// <summary>One message of a guest's kernel log, with its level and the kernel's timestamp (seconds since boot).</summary>
public sealed record KernelLogMessage(KernelLogLevel Level, double? Timestamp, string Text)
{
    public override string ToString() =>
        (Timestamp is { } t ? string.Create(CultureInfo.InvariantCulture, $"[{t,12:0.000000}] ") : "") + $"{Level.ToString().ToLowerInvariant()}: {Text}";
}

/// <summary>What a check of a guest's kernel log found: the messages at or above the level (none when it passed).</summary>
public sealed record KernelLogCheck(string Session, KernelLogLevel Level, IReadOnlyList<KernelLogMessage> Messages, int Ignored)
{
    public bool Passed => Messages.Count == 0;
}

/// <summary>
/// Checks a guest's kernel log on demand (the reference's <c>verify_dmesg</c>): reads it with
/// <c>dmesg -r</c> (raw, with each message's <c>&lt;priority&gt;</c>; util-linux and busybox both
/// have it), keeps the messages at or above a level that no ignore pattern matches, and
/// optionally clears the log right after reading it (<c>dmesg -c</c> in the same command line),
/// so the next check sees only what came after.
/// </summary>
public static partial class GuestKernelLog
{
    /// <summary>Reads and checks the log. A failing <c>dmesg</c> (no such command, no permission) is a <see cref="ShellCommandError"/>.</summary>
    public static async Task<KernelLogCheck> CheckAsync(GuestSession session, KernelLogLevel level, IReadOnlyList<Regex> ignore, bool clear, TimeSpan timeout,
        CancellationToken ct)
    {
        // util-linux refuses -r with -c: read, then clear (-c, which busybox has too) in the same command line.
        var output = await session.CmdAsync(clear ? "dmesg -r && dmesg -c >/dev/null" : "dmesg -r", timeout, ct).ConfigureAwait(false);
        var all = Parse(output);
        var severe = all.Where(m => m.Level <= level).ToList();
        var kept = severe.Where(m => !ignore.Any(r => r.IsMatch(m.Text))).ToList();
        return new KernelLogCheck(session.Name, level, kept, severe.Count - kept.Count);
    }

    /// <summary>
    /// The messages of raw <c>dmesg -r</c> output: <c>&lt;N&gt;[ seconds] text</c>, where N carries the
    /// facility above the level (N = facility * 8 + level). A line without a priority continues the
    /// message before it.
    /// </summary>
    public static IReadOnlyList<KernelLogMessage> Parse(string rawOutput)
    {
        var result = new List<KernelLogMessage>();
        foreach (var line in rawOutput.Replace("\r", "", StringComparison.Ordinal).Split('\n'))
        {
            if (line.Length == 0) continue;
            var m = RawLine().Match(line);
            if (!m.Success)
            {
                if (result.Count > 0) result[^1] = result[^1] with { Text = result[^1].Text + "\n" + line.TrimEnd() };
                continue;
            }
            var priority = int.Parse(m.Groups["prio"].Value, CultureInfo.InvariantCulture);
            double? stamp = m.Groups["time"].Success && double.TryParse(m.Groups["time"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) ? t : null;
            result.Add(new KernelLogMessage((KernelLogLevel)(priority & 7), stamp, m.Groups["text"].Value.TrimEnd()));
        }
        return result;
    }

    [GeneratedRegex(@"^<(?<prio>\d{1,4})>(?:\[\s*(?<time>\d+\.\d+)\]\s?)?(?<text>.*)$")]
    private static partial Regex RawLine();
}

/// <summary>The guest's kernel log has messages at or above the level checked: they are listed.</summary>
public sealed class GuestKernelLogException : SessionException
{
    /// <inheritdoc />
    public override string ErrorId => "GuestKernelLogMessages";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidData;

    public GuestKernelLogException(KernelLogCheck check)
        : base(check.Session, $"{check.Session}: the guest's kernel log has {check.Messages.Count} message(s) at level {check.Level.ToString().ToLowerInvariant()} or above:\n"
            + string.Join("\n", check.Messages.Select(m => "  " + m)))
    {
        Check = check;
    }

    /// <summary>The check with its messages.</summary>
    public KernelLogCheck Check { get; }
}
