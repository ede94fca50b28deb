using System.Net;
using System.Net.Sockets;
using System.Globalization;

namespace VirtTest.Core.Resources;

/// <summary>
/// Finds a free TCP port on 127.0.0.1 and reserves it for this host's VirtTest processes, so
/// two parallel runs never get the same port (e.g. for QEMU <c>hostfwd</c> or a monitor
/// socket). The reservation lives in a state file under a directory shared by all processes
/// (default <c>$TMPDIR/virttest/pools</c>), changed under a lock file; it ends when the
/// <see cref="PortReservation"/> is disposed, or when the reserving process is gone.
/// </summary>
/// <remarks>
/// A port is handed out only when it is not reserved and binding 127.0.0.1 to it succeeds
/// at that moment. Nothing holds the port open afterwards: the caller binds it (or lets
/// QEMU bind it) soon. Programs that do not use this allocator can still take the port in
/// between; the reservation only guarantees that VirtTest runs do not.
/// </remarks>
public sealed class PortAllocator
{
    private const string StoreName = "tcp-ports";
    private readonly ReservationStore _store;

    /// <param name="directory">The pool directory shared by the processes that must not collide.</param>
    /// <param name="minPort">With <paramref name="maxPort"/>: take ports from this range only. 0 (both): any port the system offers.</param>
    /// <param name="maxPort">The last port of the range (inclusive).</param>
    public PortAllocator(string? directory = null, int minPort = 0, int maxPort = 0)
    {
        if (minPort != 0 || maxPort != 0)
        {
            if (minPort is < 1 or > 65535 || maxPort is < 1 or > 65535 || maxPort < minPort)
                throw new ArgumentException($"The port range {minPort}-{maxPort} is not valid (1-65535, min <= max).");
        }
        MinPort = minPort;
        MaxPort = maxPort;
        _store = new ReservationStore(directory ?? ReservationStore.DefaultDirectory, StoreName);
    }

    public int MinPort { get; }
    public int MaxPort { get; }
    public string Directory => _store.Directory;

    /// <summary>Reserves a free port with the default pool.</summary>
    public static PortReservation ReservePort() => new PortAllocator().Reserve();

    /// <summary>Reserves a free port; dispose the reservation to return it.</summary>
    /// <exception cref="ResourceException">No free port (in the range).</exception>
    public PortReservation Reserve()
    {
        var owner = Guid.NewGuid().ToString("N");
        var port = _store.Update(list =>
        {
            var used = list.Select(r => int.TryParse(r.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : -1).ToHashSet();
            var pick = MinPort == 0 ? PickEphemeral(used) : PickInRange(used);
            if (pick > 0) list.Add(ReservationStore.Mine(pick.ToString(CultureInfo.InvariantCulture), owner));
            return pick;
        });
        if (port <= 0)
        {
            var range = MinPort == 0 ? "the system's ephemeral range" : $"{MinPort}-{MaxPort}";
            throw new ResourceException("TCP port", $"No free TCP port on 127.0.0.1 in {range} (pool at {_store.Directory}).");
        }
        return new PortReservation(port, this, owner);
    }

    internal void Release(int port, string owner)
    {
        var value = port.ToString(CultureInfo.InvariantCulture);
        try
        {
            _store.Update(list => list.RemoveAll(r => r.Value == value && r.Owner == owner));
        }
        catch (ResourceException)
        {
            // The lock stays busy: the entry is reclaimed once this process exits.
        }
    }

    /// <summary>Ports reserved on this host (by any process), for diagnostics.</summary>
    public IReadOnlyList<int> ReservedOnHost() =>
        _store.Snapshot().Select(r => int.Parse(r.Value, CultureInfo.InvariantCulture)).ToList();

    private static int PickEphemeral(HashSet<int> used)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)s.LocalEndPoint!).Port;
            if (!used.Contains(port)) return port;
        }
        return -1;
    }

    private int PickInRange(HashSet<int> used)
    {
        var count = MaxPort - MinPort + 1;
        var start = Random.Shared.Next(count);
        for (var i = 0; i < count; i++)
        {
            var port = MinPort + (start + i) % count;
            if (!used.Contains(port) && CanBind(port)) return port;
        }
        return -1;
    }

    private static bool CanBind(int port)
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>A TCP port on 127.0.0.1 reserved by <see cref="PortAllocator"/>; dispose to release it.</summary>
public sealed class PortReservation : IDisposable
{
    private readonly PortAllocator _allocator;
    private readonly string _owner;
    private int _released;

    internal PortReservation(int port, PortAllocator allocator, string owner)
    {
        Port = port;
        _allocator = allocator;
        _owner = owner;
    }

    public int Port { get; }
    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);
    public bool IsReleased => _released != 0;

    public override string ToString() => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        _allocator.Release(Port, _owner);
    }
}
