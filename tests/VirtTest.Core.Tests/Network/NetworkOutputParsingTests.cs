using System.Net;
using System.Text.Json.Nodes;
using VirtTest.Core.Network;
using Xunit;

namespace VirtTest.Core.Tests.Network;

/// <summary>Parsers of what ip, dnsmasq and ping print (samples captured from iproute2 6.1, busybox 1.35, dnsmasq 2.90).</summary>
public class NetworkOutputParsingTests
{
    private const string IpJsonAddr = """
        [{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"link_type":"loopback","address":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8},{"family":"inet6","local":"::1","prefixlen":128}]},
         {"ifindex":3,"link":"veth-b","ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"link_type":"ether","address":"52:54:00:12:34:56","addr_info":[{"family":"inet","local":"10.231.9.101","prefixlen":24,"scope":"global"},{"family":"inet6","local":"fd00::5","prefixlen":64},{"family":"inet6","local":"fe80::5054:ff:fe12:3456","prefixlen":64,"scope":"link"}]},
         {"ifindex":4,"ifname":"eth1","flags":["BROADCAST","MULTICAST"],"link_type":"ether","address":"52:54:00:AB:CD:EF","addr_info":[]}]
        """;

    private const string BusyboxAddr = """
        1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000
            link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
            inet 127.0.0.1/8 scope host lo
               valid_lft forever preferred_lft forever
            inet6 ::1/128 scope host 
               valid_lft forever preferred_lft forever
        2: eth1@if9: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue qlen 1000
            link/ether ce:74:c7:5d:80:4d brd ff:ff:ff:ff:ff:ff
            inet6 fe80::cc74:c7ff:fe5d:804d/64 scope link 
               valid_lft forever preferred_lft forever
        3: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast qlen 1000
            link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff
            inet 10.231.9.101/24 scope global eth0
               valid_lft forever preferred_lft forever
            inet6 fd00::5/64 scope global 
               valid_lft forever preferred_lft forever
            inet6 fe80::5054:ff:fe12:3456/64 scope link 
               valid_lft forever preferred_lft forever
        """;

    [Fact]
    public void Guest_ip_json_and_busybox_text_give_the_same_interfaces()
    {
        var json = GuestInterface.Parse(IpJsonAddr);
        var text = GuestInterface.Parse(BusyboxAddr.Replace("\n", "\r\n"));

        Assert.Equal(new[] { "lo", "eth0", "eth1" }, json.Select(i => i.Name));
        Assert.Equal(new[] { "lo", "eth1", "eth0" }, text.Select(i => i.Name));
        foreach (var list in new[] { json, text })
        {
            var lo = list.Single(i => i.Name == "lo");
            Assert.True(lo.IsLoopback);
            Assert.Null(lo.MacAddress);
            var eth0 = list.Single(i => i.Name == "eth0");
            Assert.False(eth0.IsLoopback);
            Assert.Equal("52:54:00:12:34:56", eth0.MacAddress);
            Assert.Equal(new[] { IPAddress.Parse("10.231.9.101") }, eth0.IPv4Address);
            Assert.Equal(new[] { IPAddress.Parse("fd00::5"), IPAddress.Parse("fe80::5054:ff:fe12:3456") }, eth0.IPv6Address);
        }
        Assert.Equal("52:54:00:ab:cd:ef", json.Single(i => i.Name == "eth1").MacAddress); // normalized
        Assert.Empty(json.Single(i => i.Name == "eth1").IPv4Address);
        Assert.Equal("ce:74:c7:5d:80:4d", text.Single(i => i.Name == "eth1").MacAddress); // "@if9" is not part of the name
    }

    [Fact]
    public void Garbage_from_the_guest_is_a_format_error_or_nothing()
    {
        Assert.Throws<FormatException>(() => GuestInterface.Parse("[not json"));
        Assert.Empty(GuestInterface.Parse("sh: ip: not found"));
    }

    [Fact]
    public void Dnsmasq_leases_of_both_families_are_read_and_odd_lines_skipped()
    {
        var leases = DnsmasqLease.Parse("""
            1796512938 52:54:00:DE:AD:01 10.231.250.172 * 01:52:54:00:de:ad:01
            0 52:54:00:de:ad:02 10.231.250.173 guest2 *
            garbage line
            1796512938 20:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00 10.231.250.174 ib *
            duid 00:01:00:01:2c:3b:1c:5d:52:54:00:de:ad:01
            1796512999 1234 fd00::42 guest2 00:01:00:01
            """);
        Assert.Equal(3, leases.Count);
        Assert.Equal("52:54:00:de:ad:01", leases[0].MacAddress);
        Assert.Equal(IPAddress.Parse("10.231.250.172"), leases[0].Address);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1796512938), leases[0].Expires);
        Assert.Null(leases[0].Hostname);
        Assert.Equal("01:52:54:00:de:ad:01", leases[0].ClientId);
        Assert.Null(leases[1].Expires); // 0: infinite
        Assert.Equal("guest2", leases[1].Hostname);
        Assert.True(leases[2].IsIPv6);
        Assert.Null(leases[2].MacAddress);
        Assert.Empty(DnsmasqLease.Read(Path.Combine(Path.GetTempPath(), "virttest-no-such-dir", "leases")));
    }

    [Theory]
    [InlineData("2 packets transmitted, 2 received, 0% packet loss, time 201ms\nrtt min/avg/max/mdev = 0.018/0.030/0.042/0.012 ms", 2, 2, 0, 0.030)]
    [InlineData("2 packets transmitted, 2 packets received, 0% packet loss\nround-trip min/avg/max = 0.051/0.055/0.059 ms", 2, 2, 0, 0.055)]
    [InlineData("2 packets transmitted, 0 packets received, 100% packet loss", 2, 0, 100, null)]
    [InlineData("2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 208ms\npipe 2", 2, 0, 100, null)]
    [InlineData("5 packets transmitted, 3 received, 40% packet loss, time 4005ms\nrtt min/avg/max/mdev = 1.1/2.5/3.0/0.1 ms", 5, 3, 40, 2.5)]
    public void Ping_summaries_of_iputils_and_busybox(string output, int sent, int received, double loss, double? avg)
    {
        var r = PingResult.Parse("host", "10.0.0.1", "PING 10.0.0.1 (10.0.0.1): 56 data bytes\n\n--- 10.0.0.1 ping statistics ---\n" + output);
        Assert.NotNull(r);
        Assert.Equal(sent, r!.Transmitted);
        Assert.Equal(received, r.Received);
        Assert.Equal(loss, r.LossPercent);
        Assert.Equal(avg, r.AverageRttMs);
        Assert.Equal(received > 0, r.Succeeded);
    }

    [Fact]
    public void Ping_that_never_sent_has_no_summary()
    {
        Assert.Null(PingResult.Parse("host", "x", "ping: bad address 'nosuchhost'"));
        Assert.Null(PingResult.Parse("host", "x", "PING 10.231.9.7 (10.231.9.7): 56 data bytes\nping: sendto: Network is unreachable"));
    }

    [Fact]
    public void Links_from_ip_detail_json()
    {
        var json = (JsonArray)JsonNode.Parse("""
            [{"ifindex":5,"ifname":"vtnk3-vm1-nic1","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"master":"vtnab12c-br","operstate":"UP","address":"a2:28:8f:be:d2:49",
              "linkinfo":{"info_kind":"tun","info_data":{"type":"tap","pi":false,"vnet_hdr":true,"multi_queue":true,"persist":true},"info_slave_kind":"bridge"}},
             {"ifindex":6,"ifname":"vtnab12c-br","flags":["BROADCAST","MULTICAST"],"operstate":"DOWN","address":"a2:28:8f:be:d2:49","linkinfo":{"info_kind":"bridge","info_data":{"stp_state":0}}},
             {"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP"],"operstate":"UNKNOWN","address":"00:00:00:00:00:00"}]
            """)!;
        var links = LinkInfo.Parse(json, "vtnab12c");
        var tap = links[0];
        Assert.True(tap.IsTap);
        Assert.True(tap.MultiQueue);
        Assert.True(tap.IsUp);
        Assert.Equal("vtnab12c-br", tap.Master);
        Assert.Equal("vtnab12c", tap.NetworkNamespace);
        Assert.True(links[1].IsBridge);
        Assert.False(links[1].IsUp);
        Assert.Equal("", links[2].Kind);
        Assert.False(links[2].IsTap || links[2].IsBridge || links[2].IsVeth);
    }
}
