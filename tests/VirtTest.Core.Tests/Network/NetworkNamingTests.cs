using System.Net;
using VirtTest.Core.Network;
using Xunit;

namespace VirtTest.Core.Tests.Network;

public class NetworkNamingTests
{
    [Theory]
    [InlineData("vm1", "nic1", "vtnk3-vm1-nic1")]
    [InlineData("VM_1", "Nic-2", "vtnk3-vm_1-nic2")]
    [InlineData("webserver12", "nic1", "vtnk3-we12-nic1")]
    [InlineData("a", "management10", "vtnk3-a-manag10")]
    [InlineData("virt-tests-vm1", "secondary3", "vtnk3-vir1-sec3")]
    [InlineData("äöü", "nic1", "vtnk3-x-nic1")]
    public void Tap_names_carry_prefix_id_vm_and_nic_within_15_bytes(string vm, string nic, string expected)
    {
        var name = InterfaceName.ForTap(vm, nic, "k3");
        Assert.Equal(expected, name);
        Assert.True(name.Length <= InterfaceName.MaxLength);
        Assert.True(InterfaceName.IsOwn(name));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("sixteen-chars-xx", "16 bytes")]
    [InlineData("br0:1", "':'")]
    [InlineData("a/b", "'/'")]
    [InlineData("a b", "\\u0020")]
    [InlineData("..", "reserved")]
    [InlineData("brückeneinheit1", "16 bytes")] // 15 characters, 16 bytes in UTF-8
    public void Invalid_interface_names_are_typed_errors_saying_why(string name, string reason)
    {
        var ex = Assert.Throws<InterfaceNameException>(() => InterfaceName.Validate(name));
        Assert.Contains(reason, ex.Message);
        Assert.Equal("Network.InterfaceName", ex.ErrorId);
        Assert.Equal(VirtErrorCategory.InvalidArgument, ex.Category);
    }

    [Fact]
    public void Fifteen_bytes_are_allowed_and_ids_use_the_small_alphabet()
    {
        Assert.Equal("fifteen-chars-x", InterfaceName.Validate("fifteen-chars-x"));
        var ids = Enumerable.Range(0, 200).Select(_ => InterfaceName.NewId(5)).ToList();
        Assert.All(ids, id => Assert.Matches("^[a-z0-9]{5}$", id));
        Assert.True(ids.Distinct().Count() > 190);
        Assert.Throws<ArgumentException>(() => InterfaceName.ForTap("vm1", "nic1", "K3"));
    }

    [Fact]
    public void Subnets_parse_contain_overlap_and_name_hosts()
    {
        var s = Ipv4Subnet.Parse("10.231.4.77/24");
        Assert.Equal("10.231.4.0/24", s.ToString());
        Assert.Equal(IPAddress.Parse("255.255.255.0"), s.Netmask);
        Assert.Equal(IPAddress.Parse("10.231.4.1"), s.Host(1));
        Assert.Equal(IPAddress.Parse("10.231.4.254"), s.Host(254));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Host(255));
        Assert.Equal("10.231.4.1/24", s.Cidr(s.Host(1)));
        Assert.True(s.Contains(IPAddress.Parse("10.231.4.200")));
        Assert.False(s.Contains(IPAddress.Parse("10.231.5.1")));
        Assert.True(s.Overlaps(Ipv4Subnet.Parse("10.0.0.0/8")));
        Assert.True(Ipv4Subnet.Parse("10.0.0.0/8").Overlaps(s));
        Assert.True(s.Overlaps(Ipv4Subnet.Parse("10.231.4.9")));
        Assert.False(s.Overlaps(Ipv4Subnet.Parse("10.231.5.0/24")));
        foreach (var bad in new[] { "10.1.2.0/33", "10.1.2/24", "fd00::/64", "x" })
            Assert.Throws<FormatException>(() => Ipv4Subnet.Parse(bad));
    }
}
