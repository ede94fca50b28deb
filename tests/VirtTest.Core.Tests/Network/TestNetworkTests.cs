using System.Diagnostics;
using System.Net;
using VirtTest.Core.Network;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Network;

/// <summary>Network tests create namespaces, bridges and processes: one at a time (they need root).</summary>
[CollectionDefinition("Network", DisableParallelization = true)]
public sealed class NetworkCollection { }

/// <summary>
/// Test networks for real: namespaces, bridge, veth, dnsmasq and taps on this host (as root),
/// traffic only to the addresses the tests create. No guest boots here: a DHCP client
/// (busybox udhcpc) in a namespace of its own stands in for a guest's NIC.
/// </summary>
[Collection("Network")]
[Trait("Category", "Network")]
public sealed class TestNetworkTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_network_has_its_namespace_bridge_veth_and_dnsmasq_and_leaves_nothing()
    {
        var net = await TestNetwork.CreateAsync();
        int dnsmasqPid;
        try
        {
            Assert.Matches("^vtn[a-z0-9]{5}$", net.Name);
            Assert.True(await NetworkNamespace.ExistsAsync(net.Namespace));
            var bridge = await Bridge.RequireAsync(net.Bridge, net.Namespace);
            Assert.True(bridge.IsUp);
            var host = await NetworkLink.FindAsync(net.HostInterface!, null);
            Assert.True(host is { IsVeth: true, IsUp: true });
            Assert.Equal(net.Bridge, (await NetworkLink.FindAsync(net.PeerInterface!, net.Namespace))!.Master);
            Assert.Null(await NetworkLink.FindAsync(net.Bridge, null)); // the bridge is not in the host's namespace
            Assert.True(net.Subnet.Contains(net.HostAddress!) && net.Subnet.Contains(net.DhcpRangeStart));
            dnsmasqPid = net.Dnsmasq!.ProcessId;
            Assert.Contains(dnsmasqPid, await NetworkNamespace.ProcessIdsAsync(net.Namespace));
            Assert.Same(net, TestNetworkRegistry.Default.Get(net.Name));
            Assert.Equal(net.Bridge, net.NicParams["netdst"]);

            // The host reaches the bridge over the veth; the namespace reaches the host end.
            var toBridge = await GuestConnectivity.PingFromHostAsync(net.BridgeAddress);
            Assert.Equal((3, 3, 0.0), (toBridge.Transmitted, toBridge.Received, toBridge.LossPercent));
            var toHost = await GuestConnectivity.PingFromHostAsync(net.HostAddress!, networkNamespace: net.Namespace);
            Assert.Equal(3, toHost.Received);
            Assert.Equal($"namespace {net.Namespace}", toHost.Source);
            // An address of the subnet nobody has: no replies, a result rather than an error.
            var nobody = await GuestConnectivity.PingFromHostAsync(net.Subnet.Host(222), new PingOptions { Count = 1, ReplyTimeoutSec = 1 });
            Assert.Equal((1, 0, 100.0), (nobody.Transmitted, nobody.Received, nobody.LossPercent));
            Assert.False(nobody.Succeeded);
        }
        finally
        {
            await net.DisposeAsync();
        }
        Assert.False(await NetworkNamespace.ExistsAsync(net.Namespace));
        Assert.Null(await NetworkLink.FindAsync(net.HostInterface!, null));
        Assert.False(ProcessAlive(dnsmasqPid));
        Assert.False(Directory.Exists(net.RuntimePath));
        Assert.DoesNotContain(NetworkObjectLedger.Default.Entries(), e => e.Name.StartsWith(net.Name, StringComparison.Ordinal));
        Assert.Null(TestNetworkRegistry.Default.Get(net.Name));
        await net.DisposeAsync(); // twice is harmless
    }

    [Fact]
    public async Task A_dhcp_client_on_the_bridge_gets_a_lease_the_resolver_and_the_host_see()
    {
        await using var net = await TestNetwork.CreateAsync();
        var client = InterfaceName.Prefix + InterfaceName.NewId(5);
        const string mac = "52:54:00:7e:57:01";
        await NetworkNamespace.CreateAsync(client);
        try
        {
            // A veth from the bridge into the client's namespace: the client's end is its "NIC".
            await VethPair.CreateAsync(client + "-s", client + "-c", client);
            await NetworkLink.MoveAsync(client + "-s", null, net.Namespace);
            NetworkObjectLedger.Default.Move(client + "-s", net.Namespace);
            await NetworkLink.SetMasterAsync(client + "-s", net.Bridge, net.Namespace);
            await IpCommand.RunAsync(client, new[] { "link", "set", "dev", client + "-c", "address", mac, "up" });

            var udhcpc = await NetworkNamespace.RunAsync(client, "busybox",
                new[] { "udhcpc", "-i", client + "-c", "-n", "-q", "-t", "5", "-T", "1", "-s", "/bin/true" }, Timeout);
            Assert.True(udhcpc.Succeeded, udhcpc.StandardOutput + udhcpc.StandardError);
            var lease = await net.WaitForLeaseAsync(mac.ToUpperInvariant(), TimeSpan.FromSeconds(5));
            Assert.Equal(mac, lease.MacAddress);
            var host = lease.Address.GetAddressBytes()[3];
            Assert.InRange(host, TestNetwork.DhcpFirstHost, TestNetwork.DhcpLastHost);
            Assert.True(net.Subnet.Contains(lease.Address));

            var p = new VirtTest.Core.Config.VirtParams { ["nics"] = "nic1 nic2", ["nettype"] = "bridge", ["netdst"] = net.Bridge, ["netdst_netns"] = net.Namespace, ["mac_nic1"] = mac.ToUpperInvariant(), ["mac_nic2"] = "52:54:00:7e:57:02" };
            var nics = new VmParamsReader("client", p).Nics;
            var found = await VmAddressResolver.ResolveAsync("client", nics, new AddressQuery { Source = AddressSource.DhcpLease });
            Assert.Equal(2, found.Count);
            Assert.Equal(new[] { lease.Address }, found[0].IPv4Address);
            Assert.Equal((AddressSource.DhcpLease, net.Name, "nic1"), (found[0].Source, found[0].Network, found[0].Nic));
            Assert.False(found[1].HasAddress); // no lease for nic2's MAC
            var timeout = await Assert.ThrowsAsync<GuestAddressTimeoutException>(() =>
                VmAddressResolver.WaitAsync("client", nics, new AddressQuery(), TimeSpan.FromSeconds(1)));
            Assert.Contains("nic2 (52:54:00:7e:57:02)", timeout.Message);
            Assert.DoesNotContain("nic1", timeout.Message);

            // Once the client applies its lease, the host reaches it through veth and bridge.
            await NetworkLink.AddAddressAsync(client + "-c", net.Subnet.Cidr(lease.Address), client);
            var ping = await GuestConnectivity.PingFromHostAsync(lease.Address);
            Assert.Equal(0, ping.LossPercent);
            Assert.Equal(3, ping.Received);
        }
        finally
        {
            await NetworkNamespace.DeleteAsync(client);
            // Still in the host's namespace if the test failed before moving it.
            await NetworkLink.DeleteAsync(client + "-s", null);
            NetworkObjectLedger.Default.Forget(NetworkObjectKind.Link, client + "-s");
        }
    }

    [Fact]
    public async Task Taps_are_named_for_vm_and_nic_go_onto_a_bridge_in_a_namespace_and_are_removed()
    {
        await using var net = await TestNetwork.CreateAsync(new TestNetworkOptions { Dhcp = false });
        var multi = await TapDevice.CreateForNicAsync("vm1", "nic1", multiQueue: true);
        var single = await TapDevice.CreateForNicAsync("vm1", "nic2", multiQueue: false);
        try
        {
            Assert.Matches("^vtn[a-z0-9]{2}-vm1-nic1$", multi);
            var link = await NetworkLink.FindAsync(multi, null);
            Assert.True(link is { IsTap: true, MultiQueue: true });
            Assert.False((await NetworkLink.FindAsync(single, null))!.MultiQueue);

            // A missing bridge is a typed error naming it, and the tap stays where it was.
            var missing = await Assert.ThrowsAsync<BridgeNotFoundException>(() => TapDevice.AttachToBridgeAsync(multi, "vtnnope-br", net.Namespace));
            Assert.Equal("vtnnope-br", missing.Bridge);
            Assert.Contains(net.Namespace, missing.Message);
            Assert.NotNull(await NetworkLink.FindAsync(multi, null));
            var notBridge = await Assert.ThrowsAsync<BridgeNotFoundException>(() => Bridge.RequireAsync(net.HostInterface!, null));
            Assert.Contains("veth interface, not a bridge", notBridge.Message);
            var noNamespace = await Assert.ThrowsAsync<BridgeNotFoundException>(() => Bridge.RequireAsync(net.Bridge, "vtnnosuchns"));
            Assert.Contains("namespace does not exist", noNamespace.Message);

            await TapDevice.AttachToBridgeAsync(multi, net.Bridge, net.Namespace);
            await TapDevice.AttachToBridgeAsync(single, net.Bridge, net.Namespace);
            Assert.Null(await NetworkLink.FindAsync(multi, null));
            Assert.Equal(net.Bridge, (await NetworkLink.FindAsync(multi, net.Namespace))!.Master);
            Assert.Equal(new[] { multi, single, net.PeerInterface! }.OrderBy(n => n), (await Bridge.PortsAsync(net.Bridge, net.Namespace)).Select(p => p.Name).OrderBy(n => n));
            Assert.Equal(net.Namespace, NetworkObjectLedger.Default.Entries().Single(e => e.Name == multi).NetworkNamespace);

            Assert.True(await TapDevice.DeleteAsync(multi, net.Namespace));
            Assert.False(await TapDevice.DeleteAsync(multi, net.Namespace));
            Assert.DoesNotContain(NetworkObjectLedger.Default.Entries(), e => e.Name == multi);
        }
        finally
        {
            await TapDevice.DeleteAsync(multi, null);
            await net.DisposeAsync();
        }
        // The single-queue tap went with the namespace, and out of the ledger with the network.
        Assert.Null(await NetworkLink.FindAsync(single, null));
        Assert.DoesNotContain(NetworkObjectLedger.Default.Entries(), e => e.Name == single);
    }

    [Fact]
    public async Task A_network_without_host_link_is_reached_from_inside_its_namespace()
    {
        await using var net = await TestNetwork.CreateAsync(new TestNetworkOptions { HostLink = false, Dhcp = false });
        Assert.Null(net.HostInterface);
        Assert.Null(net.HostAddress);
        Assert.Null(net.Dnsmasq);
        Assert.Empty(net.GetLeases());
        await Assert.ThrowsAsync<NetworkException>(() => net.WaitForLeaseAsync("52:54:00:00:00:01", TimeSpan.FromSeconds(1)));
        var ping = await GuestConnectivity.PingFromHostAsync(net.BridgeAddress, new PingOptions { Count = 2 }, net.Namespace);
        Assert.Equal(2, ping.Received);
        var ns = await net.RunAsync("ip", new[] { "-br", "addr", "show", "dev", net.Bridge }, Timeout);
        Assert.Contains(net.Subnet.Cidr(net.BridgeAddress), ns.StandardOutput);
    }

    [Fact]
    public async Task Bad_options_fail_before_anything_is_created()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => TestNetwork.CreateAsync(new TestNetworkOptions { Subnet = Ipv4Subnet.Parse("10.231.0.0/23") }));
        await Assert.ThrowsAsync<ArgumentException>(() => TestNetwork.CreateAsync(new TestNetworkOptions { LeaseTime = TimeSpan.FromSeconds(30) }));
        await using var first = await TestNetwork.CreateAsync(new TestNetworkOptions { Dhcp = false, HostLink = false });
        var clash = await Assert.ThrowsAsync<VirtTest.Core.Resources.ResourceException>(() => TestNetwork.CreateAsync(new TestNetworkOptions { Subnet = first.Subnet }));
        Assert.Contains(first.Subnet.ToString(), clash.Message);
        Assert.Equal(new[] { first }, TestNetworkRegistry.Default.All.Where(n => n.Subnet.Equals(first.Subnet)));
    }

    [Fact]
    public async Task A_crashed_runs_objects_are_removed_and_nothing_else()
    {
        var dir = Directory.CreateTempSubdirectory("virttest-ledger-").FullName;
        var ledger = new NetworkObjectLedger(dir);
        var ns = InterfaceName.Prefix + InterfaceName.NewId(5);
        var foreign = "vtq" + InterfaceName.NewId(5); // not VirtTest's prefix: never touched
        Process? sleeper = null;
        try
        {
            await NetworkNamespace.CreateAsync(ns, ledger);
            await VethPair.CreateAsync(ns + "-h", ns + "-v", ns, ledger);
            await IpCommand.RunAsync(null, new[] { "netns", "add", foreign });
            var psi = new ProcessStartInfo("ip") { UseShellExecute = false };
            foreach (var a in NetworkNamespace.ExecArguments(ns, "sleep", new[] { "300" })) psi.ArgumentList.Add(a);
            sleeper = Process.Start(psi)!;
            await WaitUntilAsync(async () => (await NetworkNamespace.ProcessIdsAsync(ns)).Contains(sleeper.Id));

            // The run that made them "crashed": its entries now name a process that is gone.
            var deadPid = FindDeadPid();
            var lines = File.ReadAllLines(ledger.StatePath).Select(l => { var f = l.Split('\t'); f[3] = deadPid.ToString(); return string.Join('\t', f); }).ToList();
            lines.Add($"Namespace\t{foreign}\t-\t{deadPid}\t0");
            File.WriteAllLines(ledger.StatePath, lines);

            var cleaned = await LeftoverNetworkCleanup.RunAsync(ledger);
            Assert.Equal(new[] { ns, ns + "-h" }.OrderBy(n => n), cleaned.Select(c => c.Name).OrderBy(n => n));
            Assert.False(await NetworkNamespace.ExistsAsync(ns));
            Assert.Null(await NetworkLink.FindAsync(ns + "-h", null));
            Assert.True(sleeper.WaitForExit(5000));
            Assert.True(await NetworkNamespace.ExistsAsync(foreign));
            Assert.Equal(new[] { foreign }, ledger.Entries().Select(e => e.Name));
        }
        finally
        {
            if (sleeper is { HasExited: false }) sleeper.Kill();
            await NetworkLink.DeleteAsync(ns + "-h", null);
            await IpCommand.TryRunAsync(null, new[] { "netns", "del", ns });
            await IpCommand.TryRunAsync(null, new[] { "netns", "del", foreign });
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int FindDeadPid()
    {
        for (var pid = 4_000_000; ; pid--)
            if (!ProcessAlive(pid)) return pid;
    }

    private static bool ProcessAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > Timeout) throw new TimeoutException("condition not met");
            await Task.Delay(20);
        }
    }
}
