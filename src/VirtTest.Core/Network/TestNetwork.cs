using System.Diagnostics;
using System.Net;
using VirtTest.Core.Resources;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Network;

/// <summary>
/// A private network for one test: a network namespace of its own (<c>vtn&lt;id&gt;</c>) holding a
/// bridge (<c>vtn&lt;id&gt;-br</c>, address .1 of a /24 reserved host-wide), a dnsmasq handing
/// out .100-.199 on it, and a veth pair to the host's namespace (host end
/// <c>vtn&lt;id&gt;-h</c> with address .254), so the test process reaches guests on the bridge
/// directly. Nothing of it touches the host's own interfaces or routes beyond that one /24.
/// Disposing removes everything (dnsmasq, veth, namespace with its bridge and every tap
/// moved into it, runtime folder, subnet reservation); a crashed run's network is removed by
/// the next run (<see cref="LeftoverNetworkCleanup"/>).
/// </summary>
/// <remarks>
/// Usable from xunit (<c>await using var net = await TestNetwork.CreateAsync()</c>) and from
/// Pester (<c>New-VirtTestNetwork</c> / <c>Remove-VirtTestNetwork</c>, or
/// <c>[VirtTest.Core.Network.TestNetwork]::Create()</c> and <c>.Dispose()</c>). A VM's NIC
/// joins it with <see cref="NicParams"/>: <c>nettype = bridge</c>, <c>netdst</c> = the bridge,
/// <c>netdst_netns</c> = the namespace.
/// </remarks>
public sealed class TestNetwork : IAsyncDisposable, IDisposable
{
    /// <summary>Host part of the bridge's address.</summary>
    public const int BridgeHost = 1;
    /// <summary>Host part of the host end of the veth pair.</summary>
    public const int HostLinkHost = 254;
    public const int DhcpFirstHost = 100;
    public const int DhcpLastHost = 199;

    private const int NameAttempts = 20;
    private readonly NetworkObjectLedger _ledger;
    private SubnetReservation? _subnet;
    private int _disposed;

    private TestNetwork(string name, Ipv4Subnet subnet, TestNetworkOptions options, NetworkObjectLedger ledger)
    {
        Name = name;
        Subnet = subnet;
        Options = options;
        _ledger = ledger;
        RuntimePath = Path.Combine(RuntimeDirectory.Root, name);
    }

    /// <summary>The network's name, which is also its namespace's name (<c>vtn</c> + 5 characters).</summary>
    public string Name { get; }
    public string Namespace => Name;
    public string Bridge => Name + "-br";
    /// <summary>The veth end in the host's namespace (null without a host link).</summary>
    public string? HostInterface => Options.HostLink ? Name + "-h" : null;
    /// <summary>The veth end inside the namespace, a port of the bridge (null without a host link).</summary>
    public string? PeerInterface => Options.HostLink ? Name + "-v" : null;
    public Ipv4Subnet Subnet { get; }
    public IPAddress BridgeAddress => Subnet.Host(BridgeHost);
    /// <summary>The host's address on this network (null without a host link): guests reach the test process here.</summary>
    public IPAddress? HostAddress => Options.HostLink ? Subnet.Host(HostLinkHost) : null;
    public IPAddress DhcpRangeStart => Subnet.Host(DhcpFirstHost);
    public IPAddress DhcpRangeEnd => Subnet.Host(DhcpLastHost);
    public TestNetworkOptions Options { get; }
    /// <summary>The dnsmasq serving DHCP (null without DHCP).</summary>
    public DnsmasqServer? Dnsmasq { get; private set; }
    /// <summary>Folder of dnsmasq's pid, lease and log files.</summary>
    public string RuntimePath { get; }
    public string? LeaseFile => Dnsmasq?.LeaseFile;
    public bool IsDisposed => _disposed != 0;

    /// <summary>The NIC params that put a VM's NIC on this network.</summary>
    public IReadOnlyDictionary<string, string> NicParams => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["nettype"] = "bridge",
        ["netdst"] = Bridge,
        ["netdst_netns"] = Namespace,
    };

    /// <summary>Creates the network (cleaning up a crashed run's networks first, once per process).</summary>
    public static async Task<TestNetwork> CreateAsync(TestNetworkOptions? options = null, CancellationToken ct = default)
    {
        options ??= new TestNetworkOptions();
        if (options.LeaseTime < TimeSpan.FromMinutes(2))
            throw new ArgumentException($"A DHCP lease time of {options.LeaseTime} is below dnsmasq's minimum of 2 minutes.", nameof(options));
        if (options.Subnet is { PrefixLength: not 24 } custom)
            throw new ArgumentException($"The subnet {custom} is not a /24; test networks use .1, .100-.199 and .254 of a /24.", nameof(options));
        await LeftoverNetworkCleanup.RunOnceAsync(ct).ConfigureAwait(false);
        var ledger = NetworkObjectLedger.Default;

        var allocator = new SubnetAllocator();
        var reservation = options.Subnet is { } wanted
            ? await allocator.ReserveExactAsync(wanted, ct).ConfigureAwait(false)
            : await allocator.ReserveAsync(ct).ConfigureAwait(false);
        var subnet = reservation.Subnet;
        TestNetwork? network = null;
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var candidate = new TestNetwork(InterfaceName.Prefix + InterfaceName.NewId(5), subnet, options, ledger) { _subnet = reservation };
                try
                {
                    await NetworkNamespace.CreateAsync(candidate.Name, ledger, ct).ConfigureAwait(false);
                    network = candidate;
                    break;
                }
                catch (NetworkObjectExistsException) when (attempt < NameAttempts)
                {
                    // The name is another run's: draw again.
                }
            }
            await network.BuildAsync(ct).ConfigureAwait(false);
            TestNetworkRegistry.Default.Add(network);
            return network;
        }
        catch
        {
            if (network is not null) await network.DisposeAsync().ConfigureAwait(false);
            else reservation.Dispose();
            throw;
        }
    }

    /// <summary>Synchronous <see cref="CreateAsync"/> (for PowerShell scripts).</summary>
    public static TestNetwork Create(TestNetworkOptions? options = null) => CreateAsync(options).GetAwaiter().GetResult();

    private async Task BuildAsync(CancellationToken ct)
    {
        await global::VirtTest.Core.Network.Bridge.CreateAsync(Bridge, Namespace, _ledger, ct).ConfigureAwait(false);
        await NetworkLink.AddAddressAsync(Bridge, Subnet.Cidr(BridgeAddress), Namespace, ct).ConfigureAwait(false);
        if (Options.HostLink)
        {
            await VethPair.CreateAsync(HostInterface!, PeerInterface!, Namespace, _ledger, ct).ConfigureAwait(false);
            await NetworkLink.AddAddressAsync(HostInterface!, Subnet.Cidr(HostAddress!), null, ct).ConfigureAwait(false);
            await NetworkLink.SetUpAsync(HostInterface!, null, ct).ConfigureAwait(false);
            await NetworkLink.SetMasterAsync(PeerInterface!, Bridge, Namespace, ct).ConfigureAwait(false);
        }
        if (Options.Dhcp)
        {
            CreatePrivateFolder(RuntimePath);
            Dnsmasq = await DnsmasqServer.StartAsync(
                new DnsmasqOptions(Bridge, DhcpRangeStart, DhcpRangeEnd, Subnet.Netmask, RuntimePath, Namespace) { LeaseTime = Options.LeaseTime },
                ct).ConfigureAwait(false);
        }
    }

    private static void CreatePrivateFolder(string path)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>The DHCP leases handed out so far (none without DHCP).</summary>
    public IReadOnlyList<DnsmasqLease> GetLeases() => Dnsmasq?.ReadLeases() ?? Array.Empty<DnsmasqLease>();

    /// <summary>The current IPv4 lease of a MAC address, or null.</summary>
    public DnsmasqLease? FindLease(string macAddress)
    {
        var mac = MacAddressPool.Normalize(macAddress);
        return GetLeases().LastOrDefault(l => l.MacAddress == mac && !l.IsIPv6);
    }

    /// <summary>Waits until the MAC address has a lease; a <see cref="TimeoutException"/> with dnsmasq's last log lines otherwise.</summary>
    public async Task<DnsmasqLease> WaitForLeaseAsync(string macAddress, TimeSpan timeout, CancellationToken ct = default)
    {
        if (Dnsmasq is null) throw new NetworkException(Name, $"Test network {Name} has no DHCP server (created with Dhcp = false): no lease will come.");
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (FindLease(macAddress) is { } lease) return lease;
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"No DHCP lease for {macAddress} on test network {Name} ({Subnet}) within {timeout.TotalSeconds:0.#} s; dnsmasq: {Dnsmasq.Diagnostics()}");
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Runs a host tool inside the network's namespace (e.g. ping without the host link).</summary>
    public Task<ToolResult> RunAsync(string tool, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct = default) =>
        NetworkNamespace.RunAsync(Namespace, tool, arguments, timeout, ct);

    public override string ToString() => $"{Name} ({Subnet}, bridge {Bridge})";

    /// <summary>Removes everything of the network; errors of one step do not stop the others.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        TestNetworkRegistry.Default.Remove(this);
        var errors = new List<Exception>();
        async Task Step(Func<Task> step)
        {
            try { await step().ConfigureAwait(false); }
            catch (Exception ex) { errors.Add(ex); }
        }
        if (Dnsmasq is { } dnsmasq) await Step(async () => await dnsmasq.DisposeAsync().ConfigureAwait(false));
        if (HostInterface is { } host)
        {
            // Deleted here, not with the namespace: a namespace's links go away only some time after it.
            await Step(async () =>
            {
                await NetworkLink.DeleteAsync(host, null).ConfigureAwait(false);
                _ledger.Forget(NetworkObjectKind.Link, host);
            });
        }
        await Step(() => NetworkNamespace.DeleteAsync(Namespace, _ledger));
        // The bridge, the veth peer and any tap moved in went with the namespace.
        await Step(() =>
        {
            foreach (var e in _ledger.Entries().Where(e => e.Kind == NetworkObjectKind.Link && e.NetworkNamespace == Namespace))
                _ledger.Forget(NetworkObjectKind.Link, e.Name);
            return Task.CompletedTask;
        });
        await Step(() =>
        {
            if (Directory.Exists(RuntimePath)) Directory.Delete(RuntimePath, recursive: true);
            return Task.CompletedTask;
        });
        _subnet?.Dispose();
        if (errors.Count == 1) throw errors[0];
        if (errors.Count > 1) throw new NetworkException(Name, $"Removing test network {Name} failed: {string.Join("; ", errors.Select(e => e.Message))}", new AggregateException(errors));
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
