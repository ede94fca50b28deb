using System.Diagnostics;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Network;

/// <summary>What <see cref="VmAddressResolver"/> should ask.</summary>
public sealed record AddressQuery
{
    /// <summary>One source only; null asks every source available and takes, per NIC, the first that knows an address.</summary>
    public AddressSource? Source { get; init; }

    /// <summary>A session on the guest, for the guest's own view and the MACs the params do not give (without one the guest is not asked).</summary>
    public GuestSession? Session { get; init; }

    /// <summary>The test networks whose DHCP leases may be read (default: this process's).</summary>
    public TestNetworkRegistry Networks { get; init; } = TestNetworkRegistry.Default;

    /// <summary>Deadline of the command run on the guest.</summary>
    public TimeSpan GuestCommandTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The hypervisor's own address reports (set from the VM: its driver's, when it has them).</summary>
    public IGuestAddressProvider? Provider { get; init; }
}

/// <summary>
/// Finds the addresses of a VM's NICs: from the DHCP leases of the test network a NIC is
/// on (read from dnsmasq's lease file: no guest involvement), from the hypervisor when it
/// reports them (libvirt: leases of its networks, ARP, guest agent), or from the guest itself
/// over a session (<c>ip -j addr</c>, falling back to plain <c>ip addr</c>, which busybox has).
/// NICs are matched by MAC address; interfaces the VM's NICs do not list (hot-plugged ones)
/// are reported too, with no NIC name.
/// </summary>
public static class VmAddressResolver
{
    /// <summary>The command run on the guest: JSON where iproute2 has it, plain text otherwise.</summary>
    public const string GuestCommand = "ip -j addr show 2>/dev/null || ip addr show";

    /// <summary>
    /// The addresses of a VM's NICs (with their MACs, from the VM), also from its hypervisor when
    /// it reports addresses (libvirt). Naming a hypervisor source the backend does not have is a
    /// <see cref="NotSupportedByBackendException"/>.
    /// </summary>
    public static Task<IReadOnlyList<VmAddress>> ResolveAsync(VirtualMachine vm, AddressQuery query, CancellationToken ct = default) =>
        ResolveAsync(vm.Name, vm.Nics, ForVm(vm, query), ct);

    /// <summary><see cref="WaitAsync(string, IReadOnlyList{VmNic}, AddressQuery, TimeSpan, CancellationToken)"/> for a VM.</summary>
    public static Task<IReadOnlyList<VmAddress>> WaitAsync(VirtualMachine vm, AddressQuery query, TimeSpan timeout, CancellationToken ct = default) =>
        WaitAsync(vm.Name, vm.Nics, ForVm(vm, query), timeout, ct);

    private static AddressQuery ForVm(VirtualMachine vm, AddressQuery query)
    {
        var provider = query.Provider ?? vm.Feature<IGuestAddressProvider>();
        if (query.Source is { } source && IsHypervisorSource(source) && (provider is null || !vm.Supports(VmCapability.GuestAddressQuery)))
            throw new NotSupportedByBackendException(vm.BackendName, VmCapability.GuestAddressQuery, $"no {source} addresses for VM '{vm.Name}'");
        return query with { Provider = provider };
    }

    private static bool IsHypervisorSource(AddressSource s) => s is AddressSource.LibvirtLease or AddressSource.LibvirtAgent or AddressSource.LibvirtArp;

    /// <summary>One answer per NIC (see <see cref="AddressQuery.Source"/>); NICs no source knows have <see cref="AddressSource.None"/>.</summary>
    public static async Task<IReadOnlyList<VmAddress>> ResolveAsync(string vmName, IReadOnlyList<VmNic> nics, AddressQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(nics);
        ArgumentNullException.ThrowIfNull(query);
        if (query.Source == AddressSource.Guest && query.Session is null)
            throw new ArgumentException($"Asking the guest of VM '{vmName}' for its addresses needs a session on it (Connect-VirtSession).", nameof(query));

        IReadOnlyList<GuestInterface>? guest = null;
        // Asked whenever a session is given: with another source only for the MACs the params lack.
        if (query.Session is not null)
            guest = (await QueryGuestAsync(query.Session, query.GuestCommandTimeout, ct).ConfigureAwait(false)).Where(i => !i.IsLoopback).ToList();

        // The hypervisor's views: the source asked for, or (no source named) each it offers that answers.
        var hypervisor = new List<(AddressSource Source, IReadOnlyList<GuestInterface> Interfaces)>();
        if (query.Provider is { } provider)
        {
            var sources = query.Source is { } named ? (IsHypervisorSource(named) ? new[] { named } : Array.Empty<AddressSource>()) : provider.AddressSources;
            foreach (var source in sources)
            {
                try
                {
                    hypervisor.Add((source, await provider.QueryInterfacesAsync(source, ct).ConfigureAwait(false)));
                }
                catch (NetworkException) when (query.Source is null)
                {
                    // That source cannot answer now (e.g. no libvirt network): the others still can.
                }
            }
        }

        // The NICs of the VM, then interfaces only the guest or the hypervisor knows (hot-plugged ones).
        var entries = nics.Select(n => (Nic: (VmNic?)n, Mac: NormalizedMac(n.Mac))).ToList();
        foreach (var g in (guest ?? Array.Empty<GuestInterface>()).Concat(hypervisor.SelectMany(h => h.Interfaces)))
        {
            if (g.MacAddress is not null && !entries.Any(e => e.Mac == g.MacAddress)) entries.Add((null, g.MacAddress));
        }

        var results = new List<VmAddress>();
        foreach (var (nic, mac) in entries)
        {
            var guestView = mac is null ? null : guest?.FirstOrDefault(g => g.MacAddress == mac);
            if (nic is null && mac is null) continue;
            var candidates = new List<VmAddress>();
            if (query.Source is null or AddressSource.DhcpLease && FromLeases(vmName, nic, mac, query.Networks) is { } lease)
                candidates.Add(guestView is null ? lease : lease with { GuestInterface = guestView.Name });
            foreach (var (source, interfaces) in hypervisor)
            {
                if (mac is not null && interfaces.FirstOrDefault(i => i.MacAddress == mac) is { } seen)
                    candidates.Add(new VmAddress(vmName, nic?.Name, mac, seen.IPv4Address, seen.IPv6Address, source,
                        source == AddressSource.LibvirtAgent ? seen.Name : guestView?.Name, nic?.NetDst));
            }
            if (guestView is not null && query.Source is null or AddressSource.Guest)
                candidates.Add(new VmAddress(vmName, nic?.Name, mac, guestView.IPv4Address, guestView.IPv6Address, AddressSource.Guest, guestView.Name, nic?.NetDst));
            var pick = candidates.FirstOrDefault(c => c.HasAddress) ?? candidates.FirstOrDefault(c => query.Source is not null || c.Source == AddressSource.DhcpLease);
            results.Add(pick ?? new VmAddress(vmName, nic?.Name, mac, Array.Empty<System.Net.IPAddress>(), Array.Empty<System.Net.IPAddress>(), AddressSource.None, guestView?.Name, nic?.NetDst));
        }
        return results;
    }

    /// <summary>
    /// <see cref="ResolveAsync(string, IReadOnlyList{VmNic}, AddressQuery, CancellationToken)"/> until every NIC answered has an address (NICs with
    /// <c>nettype = none</c> aside), polling every 500 ms; a
    /// <see cref="GuestAddressTimeoutException"/> naming the NICs without one after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<IReadOnlyList<VmAddress>> WaitAsync(string vmName, IReadOnlyList<VmNic> nics, AddressQuery query, TimeSpan timeout, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var results = await ResolveAsync(vmName, nics, query, ct).ConfigureAwait(false);
            var missing = results.Where(r => !r.HasAddress && nics.FirstOrDefault(n => n.Name == r.Nic)?.NetType != "none").ToList();
            if (results.Count > 0 && missing.Count == 0) return results;
            if (clock.Elapsed >= timeout)
            {
                var which = results.Count == 0 ? "it has no NICs in its params and no session was given to ask the guest"
                    : "no address for " + string.Join(", ", missing.Select(m => $"{m.Nic ?? m.GuestInterface} ({m.MacAddress ?? "MAC unknown"})"));
                var sources = query.Source?.ToString() ?? (query.Session is null ? "DhcpLease" : "DhcpLease, Guest");
                throw new GuestAddressTimeoutException(vmName, $"VM '{vmName}': {which} after {timeout.TotalSeconds:0.#} s (sources: {sources}).");
            }
            await Task.Delay(500, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The first address, in NIC order, that this process can reach (a test network without a
    /// host link is skipped), polling every 500 ms; a <see cref="GuestAddressTimeoutException"/>
    /// after <paramref name="timeout"/>. What SSH connects to when no port is forwarded.
    /// </summary>
    public static async Task<VmAddress> WaitForReachableAsync(VirtualMachine vm, AddressQuery query, TimeSpan timeout, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var results = await ResolveAsync(vm, query, ct).ConfigureAwait(false);
            var reachable = results.FirstOrDefault(r => r.PreferredAddress is not null &&
                !(r.Network is { } name && query.Networks.Get(name) is { Options.HostLink: false }));
            if (reachable is not null) return reachable;
            if (clock.Elapsed >= timeout)
            {
                var seen = results.Count == 0 ? "it has no NICs" : string.Join(", ", results.Select(r => $"{r.Nic ?? r.GuestInterface}: {(r.HasAddress ? string.Join(" ", r.IPv4Address.Concat(r.IPv6Address)) + " (not reachable from the host)" : "no address")}"));
                throw new GuestAddressTimeoutException(vm.Name, $"VM '{vm.Name}' has no address this host can reach after {timeout.TotalSeconds:0.#} s ({seen}). " +
                    "Put a NIC on a test network with a host link (nettype = bridge, netdst and netdst_netns from New-VirtTestNetwork), a libvirt network, or forward the port under user-mode networking (redirs).");
            }
            await Task.Delay(500, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The guest's interfaces, from its own <c>ip</c>.</summary>
    public static async Task<IReadOnlyList<GuestInterface>> QueryGuestAsync(GuestSession session, TimeSpan timeout, CancellationToken ct = default)
    {
        var output = await session.CmdAsync(GuestCommand, timeout, ct).ConfigureAwait(false);
        return GuestInterface.Parse(output);
    }

    private static string? NormalizedMac(string? mac)
    {
        if (mac is null) return null;
        try { return Resources.MacAddressPool.Normalize(mac); }
        catch (ArgumentException) { return null; }
    }

    private static VmAddress? FromLeases(string vmName, VmNic? nic, string? mac, TestNetworkRegistry networks)
    {
        if (mac is null) return null;
        var known = nic?.NetDst is { } bridge ? networks.FindByBridge(bridge, nic.NetDstNamespace) : null;
        var candidates = known is not null ? new[] { known } : networks.All;
        foreach (var network in candidates)
        {
            if (network.IsDisposed || network.FindLease(mac) is not { } lease) continue;
            return new VmAddress(vmName, nic?.Name, mac, new[] { lease.Address }, Array.Empty<System.Net.IPAddress>(), AddressSource.DhcpLease, null, network.Name);
        }
        return known is null ? null
            : new VmAddress(vmName, nic?.Name, mac, Array.Empty<System.Net.IPAddress>(), Array.Empty<System.Net.IPAddress>(), AddressSource.DhcpLease, null, known.Name);
    }
}
