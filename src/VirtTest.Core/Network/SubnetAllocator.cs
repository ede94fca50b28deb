using System.Net;
using System.Text.Json.Nodes;
using VirtTest.Core.Resources;

namespace VirtTest.Core.Network;

/// <summary>
/// Hands out /24 subnets for test networks from a pool (default 10.231.0.0/16), never the
/// same one to two VirtTest processes of this host at once (reservations in the host-wide
/// pool directory, like MAC addresses and ports), and never one that overlaps an address or
/// route the host has already: a test network's host-side address must not shadow a real one.
/// </summary>
public sealed class SubnetAllocator
{
    public static readonly Ipv4Subnet DefaultPool = Ipv4Subnet.Parse("10.231.0.0/16");
    private const string StoreName = "ipv4-subnets";

    private readonly ReservationStore _store;

    public SubnetAllocator(Ipv4Subnet? pool = null, string? directory = null)
    {
        Pool = pool ?? DefaultPool;
        if (Pool.PrefixLength > 24) throw new ArgumentException($"The subnet pool {Pool} is smaller than one /24.", nameof(pool));
        _store = new ReservationStore(directory ?? ReservationStore.DefaultDirectory, StoreName);
    }

    public Ipv4Subnet Pool { get; }

    /// <summary>Reserves a free /24 of the pool that overlaps none of <paramref name="inUse"/> (the host's networks).</summary>
    public SubnetReservation Reserve(IReadOnlyCollection<Ipv4Subnet> inUse)
    {
        var owner = Guid.NewGuid().ToString("N");
        var count = (int)(Pool.Size / 256);
        var start = Random.Shared.Next(count);
        var picked = _store.Update(list =>
        {
            var reserved = list.Select(r => TryParse(r.Value)).OfType<Ipv4Subnet>().ToList();
            for (var i = 0; i < count; i++)
            {
                var candidate = Nth((start + i) % count);
                if (reserved.Any(r => r.Overlaps(candidate))) continue;
                if (inUse.Any(u => u.Overlaps(candidate))) continue;
                list.Add(ReservationStore.Mine(candidate.ToString(), owner));
                return (Ipv4Subnet?)candidate;
            }
            return null;
        });
        if (picked is null)
            throw new ResourceException("IPv4 subnet", $"No free /24 in {Pool}: every one is reserved by a VirtTest process or overlaps a network of this host (pool at {_store.Directory}).");
        return new SubnetReservation(picked.Value, _store, owner);
    }

    /// <summary>
    /// Reserves a given subnet (any prefix length, inside the pool or not): a
    /// <see cref="ResourceException"/> when another VirtTest process holds an overlapping one
    /// or it overlaps a network of the host.
    /// </summary>
    public SubnetReservation ReserveExact(Ipv4Subnet subnet, IReadOnlyCollection<Ipv4Subnet> inUse)
    {
        var clash = inUse.Where(u => u.Overlaps(subnet)).Select(u => (Ipv4Subnet?)u).FirstOrDefault();
        if (clash is not null)
            throw new ResourceException("IPv4 subnet", $"The subnet {subnet} overlaps {clash}, a network of this host: choose another one (or none, to get a free one from {Pool}).");
        var owner = Guid.NewGuid().ToString("N");
        var holder = _store.Update(list =>
        {
            var taken = list.Select(r => (r, Parsed: TryParse(r.Value))).FirstOrDefault(x => x.Parsed is { } other && other.Overlaps(subnet));
            if (taken.r is not null) return taken.r.Value;
            list.Add(ReservationStore.Mine(subnet.ToString(), owner));
            return null;
        });
        if (holder is not null)
            throw new ResourceException("IPv4 subnet", $"The subnet {subnet} overlaps {holder}, reserved by another VirtTest test network on this host (pool at {_store.Directory}).");
        return new SubnetReservation(subnet, _store, owner);
    }

    /// <summary><see cref="ReserveExact(Ipv4Subnet, IReadOnlyCollection{Ipv4Subnet})"/> against the host's networks now.</summary>
    public async Task<SubnetReservation> ReserveExactAsync(Ipv4Subnet subnet, CancellationToken ct = default) =>
        ReserveExact(subnet, await HostNetworksAsync(ct).ConfigureAwait(false));

    private static Ipv4Subnet? TryParse(string text)
    {
        try { return Ipv4Subnet.Parse(text); }
        catch (FormatException) { return null; }
    }

    /// <summary>Reserves a free /24, avoiding the networks the host has now (<c>ip -4 addr</c>, <c>ip -4 route</c> of all tables).</summary>
    public async Task<SubnetReservation> ReserveAsync(CancellationToken ct = default) =>
        Reserve(await HostNetworksAsync(ct).ConfigureAwait(false));

    /// <summary>The IPv4 networks of the host's namespace: its addresses' subnets and its routes' destinations.</summary>
    public static async Task<IReadOnlyList<Ipv4Subnet>> HostNetworksAsync(CancellationToken ct = default)
    {
        var list = new List<Ipv4Subnet>();
        foreach (var link in await IpCommand.JsonAsync(null, new[] { "-4", "addr", "show" }, ct).ConfigureAwait(false))
        {
            foreach (var a in (link as JsonObject)?["addr_info"] as JsonArray ?? new JsonArray())
            {
                if (a is JsonObject o && o["local"]?.GetValue<string>() is { } local && IPAddress.TryParse(local, out var ip) && o["prefixlen"]?.GetValue<int>() is int len)
                    list.Add(new Ipv4Subnet(ip, len));
            }
        }
        foreach (var route in await IpCommand.JsonAsync(null, new[] { "-4", "route", "show", "table", "all" }, ct).ConfigureAwait(false))
        {
            // "default" is 0.0.0.0/0: it overlaps everything and means nothing here.
            if ((route as JsonObject)?["dst"]?.GetValue<string>() is { } dst && dst != "default")
            {
                try { list.Add(Ipv4Subnet.Parse(dst)); } catch (FormatException) { }
            }
        }
        return list;
    }

    private Ipv4Subnet Nth(int n)
    {
        var b = Pool.Network.GetAddressBytes();
        var value = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]) + (uint)n * 256;
        return new Ipv4Subnet(new IPAddress(new[] { (byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value }), 24);
    }
}

/// <summary>A /24 reserved by <see cref="SubnetAllocator"/>; dispose to release it.</summary>
public sealed class SubnetReservation : IDisposable
{
    private readonly ReservationStore _store;
    private readonly string _owner;
    private int _released;

    internal SubnetReservation(Ipv4Subnet subnet, ReservationStore store, string owner)
    {
        Subnet = subnet;
        _store = store;
        _owner = owner;
    }

    public Ipv4Subnet Subnet { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        var value = Subnet.ToString();
        try
        {
            _store.Update(list => list.RemoveAll(r => r.Value == value && r.Owner == _owner));
        }
        catch (ResourceException)
        {
            // The lock stays busy: the entry is reclaimed once this process exits.
        }
    }
}
