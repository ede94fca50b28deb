using System.Globalization;

namespace VirtTest.Core.Vm;

/// <summary>
/// Who owns a runtime directory, written as one line "pid start-time pid-namespace boot-id" (Linux
/// /proc facts): the start time tells a reused process id apart, the namespace and boot id say
/// whether this process can check the owner at all.
/// </summary>
internal static class StaleOwners
{
    /// <summary>This process's owner line, or null where /proc cannot say (not Linux).</summary>
    public static string? Current() => Describe(Environment.ProcessId);

    /// <summary>The owner line of process <paramref name="pid"/>, or null when it does not exist or /proc cannot say.</summary>
    public static string? Describe(int pid)
    {
        var start = StartTime(pid);
        var ns = PidNamespace();
        var boot = BootId();
        return start is null || ns is null || boot is null ? null : string.Create(CultureInfo.InvariantCulture, $"{pid} {start} {ns} {boot}\n");
    }

    /// <summary>True when <paramref name="ownerLine"/> names a process of this boot and PID namespace that no longer runs.</summary>
    public static bool IsGone(string ownerLine)
    {
        var parts = ownerLine.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 4 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) return false;
        if (parts[2] != PidNamespace() || parts[3] != BootId()) return false;
        return StartTime(pid) != parts[1];
    }

    /// <summary>Field 22 of /proc/PID/stat (clock ticks after boot), read after the command name, which may hold spaces.</summary>
    private static string? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 ? fields[19] : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
    }

    private static string? PidNamespace()
    {
        try { return new FileInfo("/proc/self/ns/pid").LinkTarget; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
    }

    private static string? BootId()
    {
        try { return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
    }
}
