using System.Text;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Vm;

/// <summary>
/// Finds a guest kernel's crash reports in its console output (the reference's
/// <c>verify_kernel_crash</c>): a panic, an oops, a BUG, a general protection fault, or any
/// <c>Call Trace</c> (warnings included). The report is the first such line with the lines
/// around it that belong to it.
/// </summary>
public static partial class KernelCrash
{
    private const int LinesBefore = 2;
    private const int LinesAfter = 40;

    /// <summary>The first crash report in <paramref name="consoleText"/>, or null.</summary>
    public static string? Find(string consoleText)
    {
        var text = Clean(consoleText);
        var m = Marker().Match(text);
        if (!m.Success) return null;
        var lines = text.Split('\n');
        var at = text[..m.Index].Count(c => c == '\n');
        var first = Math.Max(0, at - LinesBefore);
        var last = Math.Min(lines.Length - 1, at + LinesAfter);
        // A panic report ends with its "---[ end ..." line; anything after it is not part of it.
        for (var i = at; i <= last; i++)
        {
            if (lines[i].Contains("---[ end ", StringComparison.Ordinal)) { last = i; break; }
        }
        return string.Join("\n", lines[first..(last + 1)].Select(l => l.TrimEnd()).Where(l => l.Length > 0));
    }

    /// <summary>Reads a console log from <paramref name="fromOffset"/> on and looks for a crash report there.</summary>
    public static string? FindInLog(string logPath, long fromOffset)
    {
        if (!File.Exists(logPath)) return null;
        using var fs = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (fs.Length <= fromOffset) return null;
        fs.Seek(fromOffset, SeekOrigin.Begin);
        using var reader = new StreamReader(fs, Encoding.UTF8);
        return Find(reader.ReadToEnd());
    }

    private static string Clean(string raw) => Escape().Replace(raw, "").Replace("\r", "", StringComparison.Ordinal);

    [GeneratedRegex(@"Kernel panic - not syncing|^.{0,40}\bBUG: |^.{0,40}\bOops: |general protection fault|kernel BUG at|Call Trace:", RegexOptions.Multiline)]
    private static partial Regex Marker();

    [GeneratedRegex(@"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")]
    private static partial Regex Escape();
}

/// <summary>The guest kernel crashed (or reported a kernel bug): its console shows the report.</summary>
public sealed class KernelCrashException : VmException
{
    /// <inheritdoc />
    public override string ErrorId => "KernelCrash";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidOperation;

    public KernelCrashException(string vmName, string trace)
        : base(vmName, $"VM '{vmName}': the guest kernel crashed: {trace}")
    {
        Trace = trace;
    }

    /// <summary>The crash report from the console, as lines.</summary>
    public string Trace { get; }
}
