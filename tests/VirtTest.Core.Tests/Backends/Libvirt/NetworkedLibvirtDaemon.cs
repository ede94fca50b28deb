using VirtTest.Core.Network;

namespace VirtTest.Core.Tests.Backends.Libvirt;

/// <summary>
/// A private libvirtd inside a test network's namespace: its QEMUs and taps live there, the
/// test network's bridge (with VirtTest's dnsmasq and the veth to this process) is a host
/// bridge to it, and it runs a NAT network "virttest" of its own (libvirt's dnsmasq) on a
/// second reserved /24. Everything goes with the fixture.
/// </summary>
public sealed class NetworkedLibvirtDaemon : IAsyncLifetime
{
    public const string NatNetwork = "virttest";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "virttest-lvd-" + Guid.NewGuid().ToString("N")[..8]);
    private SubnetReservation? _nat;

    public string Uri { get; private set; } = "";
    public TestNetwork Network { get; private set; } = null!;
    public Ipv4Subnet NatSubnet => _nat!.Subnet;
    /// <summary>libvirt's bridge of the NAT network (in the namespace).</summary>
    public string NatBridge => Network.Namespace + "-lv";

    public async Task InitializeAsync()
    {
        Network = await TestNetwork.CreateAsync();
        _nat = await new SubnetAllocator().ReserveAsync();
        var (code, output, error) = await LibvirtDaemon.RunScriptAsync("start", _dir, Network.Namespace, NatSubnet.ToString());
        if (code != 0) throw new InvalidOperationException($"libvirt-daemon.sh start failed ({code}): {error}");
        Uri = output.Trim();
    }

    public async Task DisposeAsync()
    {
        try
        {
            var (code, _, error) = await LibvirtDaemon.RunScriptAsync("stop", _dir);
            if (code != 0) throw new InvalidOperationException($"libvirt-daemon.sh stop failed ({code}): {error}");
        }
        finally
        {
            _nat?.Dispose();
            await Network.DisposeAsync();
        }
    }
}

[CollectionDefinition("LibvirtNetwork", DisableParallelization = true)]
public sealed class LibvirtNetworkCollection : ICollectionFixture<NetworkedLibvirtDaemon> { }
