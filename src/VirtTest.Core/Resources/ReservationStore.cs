using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace VirtTest.Core.Resources;

/// <summary>One reserved value and who holds it.</summary>
internal sealed record Reservation(string Value, string Owner, int ProcessId, long ProcessStartTicks, DateTimeOffset Since);

/// <summary>
/// Values reserved by the processes of one host, in a state file changed only under a
/// <see cref="CrossProcessLock"/>. Reservations of processes that are gone (crashed runs)
/// are dropped whenever the state is read, so nothing leaks for good.
/// </summary>
/// <remarks>
/// State file: one line per reservation, tab-separated: value, owner id, process id,
/// process start time (UTC ticks), reserved-since (Unix ms). Written to a temporary file
/// and renamed into place, so a reader never sees half a file.
/// </remarks>
internal sealed class ReservationStore
{
    private static readonly Lazy<long> OwnStartTicks = new(() => StartTicks(Process.GetCurrentProcess()) ?? 0);

    public ReservationStore(string directory, string name)
    {
        Directory = directory;
        StatePath = Path.Combine(directory, name + ".state");
        LockPath = Path.Combine(directory, name + ".lock");
    }

    public string Directory { get; }
    public string StatePath { get; }
    public string LockPath { get; }

    /// <summary>The default directory for host-wide pools: <c>$TMPDIR/virttest/pools</c>.</summary>
    public static string DefaultDirectory => Path.Combine(Path.GetTempPath(), "virttest", "pools");

    /// <summary>A reservation for this process.</summary>
    public static Reservation Mine(string value, string owner) =>
        new(value, owner, Environment.ProcessId, OwnStartTicks.Value, DateTimeOffset.UtcNow);

    /// <summary>
    /// Locks the store, reads the live reservations, lets <paramref name="change"/> edit the
    /// list, and writes it back when it changed (or when stale entries were dropped).
    /// </summary>
    public T Update<T>(Func<List<Reservation>, T> change)
    {
        using var _ = CrossProcessLock.Acquire(LockPath);
        var all = Load();
        var live = all.Where(IsAlive).ToList();
        var before = Serialize(live);
        var result = change(live);
        if (live.Count != all.Count || Serialize(live) != before) Save(live);
        return result;
    }

    /// <summary>All live reservations (read under the lock).</summary>
    public IReadOnlyList<Reservation> Snapshot() => Update(list => list.ToList());

    private List<Reservation> Load()
    {
        var list = new List<Reservation>();
        if (!File.Exists(StatePath)) return list;
        foreach (var line in File.ReadAllLines(StatePath))
        {
            var f = line.Split('\t');
            if (f.Length < 5) continue;
            if (!int.TryParse(f[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid)) continue;
            if (!long.TryParse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start)) continue;
            if (!long.TryParse(f[4], NumberStyles.Integer, CultureInfo.InvariantCulture, out var since)) continue;
            list.Add(new Reservation(f[0], f[1], pid, start, DateTimeOffset.FromUnixTimeMilliseconds(since)));
        }
        return list;
    }

    private void Save(List<Reservation> list)
    {
        var temp = StatePath + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
        File.WriteAllText(temp, Serialize(list), new UTF8Encoding(false));
        File.Move(temp, StatePath, overwrite: true);
    }

    private static string Serialize(List<Reservation> list)
    {
        var sb = new StringBuilder();
        foreach (var r in list)
            sb.Append(r.Value).Append('\t').Append(r.Owner).Append('\t')
              .Append(r.ProcessId.ToString(CultureInfo.InvariantCulture)).Append('\t')
              .Append(r.ProcessStartTicks.ToString(CultureInfo.InvariantCulture)).Append('\t')
              .Append(r.Since.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)).Append('\n');
        return sb.ToString();
    }

    /// <summary>The reserving process still runs (same pid and same start time: pids are reused).</summary>
    internal static bool IsAlive(Reservation r)
    {
        if (r.ProcessId == Environment.ProcessId) return r.ProcessStartTicks == OwnStartTicks.Value;
        try
        {
            using var p = Process.GetProcessById(r.ProcessId);
            if (p.HasExited) return false;
            var start = StartTicks(p);
            // Unreadable start time (another user's process): assume it is the owner.
            return start is null || Math.Abs(start.Value - r.ProcessStartTicks) < TimeSpan.TicksPerSecond;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false; // exited meanwhile
        }
    }

    /// <summary>The start time (UTC ticks) of process <paramref name="pid"/>, as reservations record it; null when it does not run or cannot be read.</summary>
    internal static long? StartTicksOf(int pid)
    {
        if (pid == Environment.ProcessId) return OwnStartTicks.Value;
        try
        {
            using var p = Process.GetProcessById(pid);
            return p.HasExited ? null : StartTicks(p);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    private static long? StartTicks(Process p)
    {
        try
        {
            return p.StartTime.ToUniversalTime().Ticks;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }
}
