using System.Diagnostics;
using System.Net;
using VirtTest.Core.Network;
using VirtTest.Core.Tests.Vm;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Network;

/// <summary>
/// QEMU NICs with <c>nettype = bridge</c> on test networks: VirtTest's taps, created before
/// QEMU starts, put on bridges in the test namespaces, removed however the VM ends.
/// </summary>
[Collection("Guest")]
[Trait("Category", "Guest")]
[Trait("Category", "Network")]
public sealed class BridgedGuestTests
{
    private static void OnBridge(VirtTest.Core.Config.VirtParams p, string nic, TestNetwork net)
    {
        p["nettype_" + nic] = "bridge";
        p["netdst_" + nic] = net.Bridge;
        p["netdst_netns_" + nic] = net.Namespace;
    }

    private static async Task<IReadOnlyList<string>> OwnTapsAsync(string? ns) =>
        (await NetworkLink.ListAsync(ns)).Where(l => l.IsTap && InterfaceName.IsOwn(l.Name)).Select(l => l.Name).ToList();

    [Fact]
    public async Task A_guest_on_two_bridges_gets_its_lease_answers_and_its_taps_go_when_QEMU_is_killed()
    {
        await using var net = await TestNetwork.CreateAsync();
        // A bridge in use by nothing else: no DHCP, no host link.
        await using var lonely = await TestNetwork.CreateAsync(new TestNetworkOptions { Dhcp = false, HostLink = false });
        await using var g = await GuestVm.BootAsync("br-a", p =>
        {
            p["nics"] = "nic1 nic2";
            OnBridge(p, "nic1", net);
            p["queues_nic1"] = "2";
            OnBridge(p, "nic2", lonely);
            p["redirs"] = "";
        });
        var vm = g.Vm;
        var macs = vm.Nics.Select(n => n.Mac).ToList();
        Assert.All(macs, m => Assert.Matches("^52:54:00(:[0-9a-f]{2}){3}$", m));
        Assert.Equal(2, macs.Distinct().Count());

        // One tap per NIC, each a port of its bridge in its namespace, none left in the host's.
        var taps = await OwnTapsAsync(net.Namespace);
        var lonelyTaps = await OwnTapsAsync(lonely.Namespace);
        var tap = Assert.Single(taps);
        Assert.Single(lonelyTaps);
        Assert.Matches("^vtn[a-z0-9]{2}-bra-nic1$", tap);
        var link = (await NetworkLink.FindAsync(tap, net.Namespace))!;
        Assert.True(link.MultiQueue);
        Assert.Equal(net.Bridge, link.Master);
        Assert.DoesNotContain(tap, await OwnTapsAsync(null));

        // DHCP through the bridge; the lease and the guest's own view agree.
        var lease = await net.WaitForLeaseAsync(macs[0]!, TimeSpan.FromSeconds(60));
        var console = await g.ConsoleAsync();
        var addresses = await VmAddressResolver.ResolveAsync(vm, new AddressQuery());
        Assert.Equal(new[] { "nic1", "nic2" }, addresses.Select(a => a.Nic));
        Assert.Equal((AddressSource.DhcpLease, lease.Address), (addresses[0].Source, addresses[0].IPv4Address.Single()));
        Assert.False(addresses[1].HasAddress);
        var own = await VmAddressResolver.ResolveAsync(vm, new AddressQuery { Session = console, Source = AddressSource.Guest });
        Assert.Equal(lease.Address, own.Single(a => a.Nic == "nic1").IPv4Address.Single());
        Assert.Equal("eth0", own.Single(a => a.Nic == "nic1").GuestInterface);
        // The NIC offers multi-queue (virtio feature bit 22, VIRTIO_NET_F_MQ; with one vCPU the guest uses one pair).
        Assert.Equal("1", await g.RunAsync(console, "cut -c23 /sys/class/net/eth0/device/features"));
        var timeout = await Assert.ThrowsAsync<GuestAddressTimeoutException>(() => VmAddressResolver.WaitAsync(vm, new AddressQuery(), TimeSpan.FromSeconds(1)));
        Assert.Contains("nic2", timeout.Message);
        Assert.DoesNotContain("nic1", timeout.Message);

        var ping = await GuestConnectivity.PingFromHostAsync(lease.Address);
        Assert.Equal(0, ping.LossPercent);
        var back = await GuestConnectivity.PingFromGuestAsync(console, net.HostAddress!.ToString());
        Assert.Equal(3, back.Received);

        // A hot-plugged NIC gets a tap on the first NIC's bridge and a pool MAC, a lease, and answers; unplugged, its tap goes.
        await vm.AddPciDeviceAsync(new Monitor.PciDeviceSpec("virtio-net-pci", "hp1"), TimeSpan.FromSeconds(30));
        var hotTap = Assert.Single(await OwnTapsAsync(net.Namespace), t => t != tap);
        Assert.Matches("^vtn[a-z0-9]{2}-bra-hp1$", hotTap);
        Assert.Equal(net.Bridge, (await NetworkLink.FindAsync(hotTap, net.Namespace))!.Master);
        await g.RunAsync(console, "for i in $(seq 50); do [ -e /sys/class/net/eth2 ] && break; sleep 0.2; done; ip link set eth2 up");
        var hotMac = await g.RunAsync(console, "cat /sys/class/net/eth2/address");
        Assert.DoesNotContain(hotMac, macs);
        Assert.Contains(hotMac, new VirtTest.Core.Resources.MacAddressPool().ReservedOnHost());
        await g.RunAsync(console, "udhcpc -i eth2 -n -q -t 5 -T 1 -s /usr/share/udhcpc/default.script >/dev/null 2>&1");
        var hotLease = await net.WaitForLeaseAsync(hotMac, TimeSpan.FromSeconds(20));
        Assert.NotEqual(lease.Address, hotLease.Address);
        Assert.Equal(3, (await GuestConnectivity.PingFromHostAsync(hotLease.Address)).Received);
        await vm.RemovePciDeviceAsync("hp1", TimeSpan.FromSeconds(30));
        Assert.Equal(new[] { tap }, await OwnTapsAsync(net.Namespace));
        Assert.DoesNotContain(NetworkObjectLedger.Default.Entries(), e => e.Name == hotTap);
        Assert.DoesNotContain(hotMac, new VirtTest.Core.Resources.MacAddressPool().ReservedOnHost());

        // Live migration: the destination QEMU gets taps of its own on the same bridges; the
        // source's go with the source; the guest keeps its MAC and address and still answers.
        await console.DisposeAsync();
        await vm.MigrateAsync(new Monitor.MigrationOptions { Protocol = "unix" });
        var migratedTap = Assert.Single(await OwnTapsAsync(net.Namespace));
        Assert.NotEqual(tap, migratedTap);
        Assert.Single(await OwnTapsAsync(lonely.Namespace));
        Assert.Empty(await OwnTapsAsync(null));
        Assert.Equal(macs, vm.Nics.Select(n => n.Mac).ToList());
        Assert.Equal(3, (await GuestConnectivity.PingFromHostAsync(lease.Address)).Received);
        tap = migratedTap;
        lonelyTaps = await OwnTapsAsync(lonely.Namespace);

        // kill -9 of QEMU: the VM is dead and both taps are gone, also from the ledger.
        using (var qemu = Process.GetProcessById(vm.ProcessId!.Value)) qemu.Kill();
        var clock = Stopwatch.StartNew();
        while (await vm.RefreshStateAsync() != VmState.Dead && clock.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(50);
        Assert.Equal(VmState.Dead, vm.State);
        Assert.Empty(await OwnTapsAsync(net.Namespace));
        Assert.Empty(await OwnTapsAsync(lonely.Namespace));
        Assert.DoesNotContain(NetworkObjectLedger.Default.Entries(), e => e.Name == tap || e.Name == lonelyTaps[0]);
    }

    [Fact]
    public async Task A_missing_bridge_or_vhost_device_fails_before_QEMU_starts_and_leaves_no_tap()
    {
        await using var net = await TestNetwork.CreateAsync(new TestNetworkOptions { Dhcp = false, HostLink = false });
        var before = NetworkObjectLedger.Default.Entries().Count(e => e.ProcessId == Environment.ProcessId);

        // The first NIC's bridge exists, the second's does not: the first NIC's tap must go too.
        await using var missing = GuestVm.Create("br-m", p =>
        {
            p["nics"] = "nic1 nic2";
            OnBridge(p, "nic1", net);
            p["nettype_nic2"] = "bridge";
            p["netdst_nic2"] = "vtnnope-br";
            p["netdst_netns_nic2"] = net.Namespace;
        });
        var ex = await Assert.ThrowsAsync<BridgeNotFoundException>(() => missing.Vm.StartAsync());
        Assert.Equal("vtnnope-br", ex.Bridge);
        Assert.Equal(net.Namespace, ex.NetworkNamespace);
        Assert.Equal(VmState.Created, missing.Vm.State);
        Assert.Null(missing.Vm.ProcessId);
        Assert.Empty(await OwnTapsAsync(null));
        Assert.Equal(before, NetworkObjectLedger.Default.Entries().Count(e => e.ProcessId == Environment.ProcessId));

        if (!File.Exists("/dev/vhost-net"))
        {
            await using var vhost = GuestVm.Create("br-v", p => { p["nics"] = "nic1"; OnBridge(p, "nic1", net); p["vhost"] = "on"; });
            var vhostError = await Assert.ThrowsAsync<VmParamException>(() => vhost.Vm.StartAsync());
            Assert.Equal("vhost_nic1", vhostError.Param);
            Assert.Contains("/dev/vhost-net", vhostError.Message);
            Assert.Empty(await OwnTapsAsync(null));
        }

        // A libvirt network is libvirt's: the QEMU backend says so when the VM is created.
        var networkError = Assert.Throws<NotSupportedByBackendException>(() => GuestVm.Create("br-n", p => { p["nics"] = "nic1"; p["nettype"] = "network"; p["netdst"] = "default"; }));
        Assert.Equal(VmCapability.LibvirtNetwork, networkError.Capability);
        Assert.Contains("nic1", networkError.Message);
    }
}
