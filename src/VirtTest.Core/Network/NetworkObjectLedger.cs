using System.Globalization;
using System.Text;
using VirtTest.Core.Resources;

namespace VirtTest.Core.Network;

/// <summary>What kind of network object a ledger entry stands for.</summary>
public enum NetworkObjectKind
{
    Namespace,
    Link,
}

/// <summary>A network object VirtTest created, where it lives and which process created it.</summary>
public sealed record NetworkObjectEntry(NetworkObjectKind Kind, string Name, string? NetworkNamespace, int ProcessId, long ProcessStartTicks)
{
    /// <summary>The creating process still runs (same pid and start time).</summary>
    public bool OwnerAlive => ReservationStore.IsAlive(new Reservation(Name, "", ProcessId, ProcessStartTicks, default));
}

/// <summary>
/// The host-wide record of the network objects VirtTest processes created: an entry is
/// written before the object is made and removed after it is deleted. It makes names unique
/// across parallel runs (a name in the ledger is never handed out again while it stands),
/// and tells a later run which objects a crashed run left: those whose creator is gone.
/// Only objects in this ledger are ever cleaned up, so other tools' namespaces and bridges
/// are never touched, whatever their names.
/// </summary>
/// <remarks>
/// State file <c>network-objects.state</c> in the host-wide pool directory, one line per
/// object: kind, name, namespace ("-" for the host's), process id, process start (UTC ticks),
/// tab-separated; changed only under the lock file beside it.
/// </remarks>
public sealed class NetworkObjectLedger
{
    private const string Name = "network-objects";
    private static readonly Lazy<long> OwnStartTicks = new(() => ReservationStore.Mine("", "").ProcessStartTicks);

    public NetworkObjectLedger(string? directory = null)
    {
        Directory = directory ?? ReservationStore.DefaultDirectory;
        StatePath = Path.Combine(Directory, Name + ".state");
        LockPath = Path.Combine(Directory, Name + ".lock");
    }

    public static NetworkObjectLedger Default { get; } = new();

    public string Directory { get; }
    public string StatePath { get; }
    public string LockPath { get; }

    /// <summary>
    /// Records an object this process is about to create. False when an object of that name
    /// (and kind) is in the ledger already, whoever made it: pick another name.
    /// </summary>
    public bool TryRecord(NetworkObjectKind kind, string name, string? networkNamespace) =>
        Update(list =>
        {
            if (list.Any(e => e.Kind == kind && e.Name == name)) return false;
            list.Add(new NetworkObjectEntry(kind, name, networkNamespace, Environment.ProcessId, OwnStartTicks.Value));
            return true;
        });

    /// <summary>Notes that a link moved to another namespace (a tap put on a bridge in a test namespace).</summary>
    public void Move(string name, string? networkNamespace) =>
        Update(list =>
        {
            var i = list.FindIndex(e => e.Kind == NetworkObjectKind.Link && e.Name == name);
            if (i >= 0) list[i] = list[i] with { NetworkNamespace = networkNamespace };
            return true;
        });

    /// <summary>Removes the entry of a deleted object.</summary>
    public void Forget(NetworkObjectKind kind, string name) =>
        Update(list => list.RemoveAll(e => e.Kind == kind && e.Name == name));

    /// <summary>Every entry (for diagnostics and the leftover check).</summary>
    public IReadOnlyList<NetworkObjectEntry> Entries() => Update(list => list.ToList());

    /// <summary>Entries whose creating process is gone: what a crashed run left.</summary>
    public IReadOnlyList<NetworkObjectEntry> Orphans() => Update(list => list.Where(e => !e.OwnerAlive).ToList());

    private T Update<T>(Func<List<NetworkObjectEntry>, T> change)
    {
        using var _ = CrossProcessLock.Acquire(LockPath);
        var list = Load();
        var before = Serialize(list);
        var result = change(list);
        var after = Serialize(list);
        if (after != before)
        {
            var temp = StatePath + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
            File.WriteAllText(temp, after, new UTF8Encoding(false));
            File.Move(temp, StatePath, overwrite: true);
        }
        return result;
    }

    private List<NetworkObjectEntry> Load()
    {
        var list = new List<NetworkObjectEntry>();
        if (!File.Exists(StatePath)) return list;
        foreach (var line in File.ReadAllLines(StatePath))
        {
            var f = line.Split('\t');
            if (f.Length < 5 || !Enum.TryParse<NetworkObjectKind>(f[0], out var kind)) continue;
            if (!int.TryParse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid)) continue;
            if (!long.TryParse(f[4], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start)) continue;
            list.Add(new NetworkObjectEntry(kind, f[1], f[2] == "-" ? null : f[2], pid, start));
        }
        return list;
    }

    private static string Serialize(List<NetworkObjectEntry> list)
    {
        var sb = new StringBuilder();
        foreach (var e in list)
            sb.Append(e.Kind).Append('\t').Append(e.Name).Append('\t').Append(e.NetworkNamespace ?? "-").Append('\t')
              .Append(e.ProcessId.ToString(CultureInfo.InvariantCulture)).Append('\t')
              .Append(e.ProcessStartTicks.ToString(CultureInfo.InvariantCulture)).Append('\n');
        return sb.ToString();
    }
}
