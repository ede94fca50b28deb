using System.Globalization;
using VirtTest.Core.Resources;

namespace VirtTest.Core.Vm;

/// <summary>
/// Who owns a runtime directory, written as one line "pid start-ticks pid-namespace boot-id": the
/// start time tells a reused process id apart (as in <see cref="ReservationStore"/>), the namespace
/// and boot id say whether this process can check the owner at all.
/// </summary>
internal static class StaleOwners
{
    /// <summary>This process's owner line, or null where it cannot be described (not Linux).</summary>
    public static string? Current() => Describe(Environment.ProcessId);

    /// <summary>The owner line of process <paramref name="pid"/>, or null when it does not exist or cannot be described.</summary>
    public static string? Describe(int pid)
    {
        var start = ReservationStore.StartTicksOf(pid);
        var ns = PidNamespace();
        var boot = BootId();
        return start is null || ns is null || boot is null ? null : string.Create(CultureInfo.InvariantCulture, $"{pid} {start} {ns} {boot}\n");
    }

    /// <summary>
    /// True when <paramref name="ownerLine"/> names a process of this boot and PID namespace that no
    /// longer runs; whether it runs is the reservations' own test (id and start time).
    /// </summary>
    public static bool IsGone(string ownerLine)
    {
        var parts = ownerLine.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 4
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var startTicks)) return false;
        if (parts[2] != PidNamespace() || parts[3] != BootId()) return false;
        return !ReservationStore.IsAlive(new Reservation("", "", pid, startTicks, default));
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
