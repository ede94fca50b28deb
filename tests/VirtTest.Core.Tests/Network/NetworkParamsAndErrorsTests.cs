using VirtTest.Core.Config;
using VirtTest.Core.Network;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Network;

public class NetworkParamsAndErrorsTests
{
    private static VirtParams Params(params (string Key, string Value)[] pairs)
    {
        var p = new VirtParams();
        foreach (var (k, v) in pairs) p[k] = v;
        return p;
    }

    [Fact]
    public void Nic_attachments_come_from_the_params_with_established_names()
    {
        var p = Params(("nics", "nic1 nic2 nic3"), ("nettype", "bridge"), ("netdst", "br0"),
            ("mac_nic1", "52-54-00-AA-BB-01"), ("queues_nic1", "4"), ("vhost_nic1", "off"),
            ("netdst_netns_nic2", "vtnabcde"), ("vhost_nic2", "on"), ("nettype_nic3", "user"), ("nic_model_nic3", "e1000"));
        var nics = NicAttachment.ReadAll(new VmParamsReader("vm1", p));
        Assert.Equal(new[] { "nic1", "nic2", "nic3" }, nics.Select(n => n.Nic));
        Assert.Equal(new NicAttachment("nic1", "bridge", "br0", null, 4, false), nics[0]);
        Assert.Equal(new NicAttachment("nic2", "bridge", "br0", "vtnabcde", 1, true), nics[1]);
        Assert.Equal("user", nics[2].NetType);
        Assert.Null(nics[2].Vhost);
    }

    [Theory]
    [InlineData("nettype", "tap", "nettype_nic1")]
    [InlineData("queues", "0", "queues_nic1")]
    [InlineData("queues", "many", "queues_nic1")]
    [InlineData("vhost", "yes", "vhost_nic1")]
    [InlineData("mac", "52:54:00", "mac_nic1")]
    public void Bad_nic_params_are_errors_naming_the_param(string key, string value, string param)
    {
        var p = Params(("nics", "nic1"), ("nettype", "bridge"), ("netdst", "br0"), (key, value));
        var ex = Assert.Throws<VmParamException>(() => NicAttachment.ReadAll(new VmParamsReader("vm1", p)));
        Assert.Equal(param, ex.Param);
        Assert.Contains("vm1", ex.Message);
    }

    [Fact]
    public void A_bridge_nic_needs_netdst()
    {
        var ex = Assert.Throws<VmParamException>(() => NicAttachment.ReadAll(new VmParamsReader("vm1", Params(("nics", "nic1"), ("nettype", "bridge")))));
        Assert.Equal("netdst_nic1", ex.Param);
    }

    private static ToolResult Failed(string stderr) => new("ip", new[] { "link", "add" }, 2, "", stderr);

    [Fact]
    public void Ip_messages_become_typed_errors()
    {
        // What ip prints to a user without CAP_NET_ADMIN (netns add, tuntap add, link add).
        Assert.IsType<NetworkPermissionException>(IpCommand.ToException(Failed("mount --make-shared /run/netns failed: Operation not permitted"), null));
        Assert.IsType<NetworkPermissionException>(IpCommand.ToException(Failed("open: Permission denied"), null));
        Assert.IsType<NetworkPermissionException>(IpCommand.ToException(Failed("RTNETLINK answers: Operation not permitted"), null));
        var device = Assert.IsType<NetworkObjectNotFoundException>(IpCommand.ToException(Failed("Cannot find device \"vtnx-br\""), "vtnx"));
        Assert.Equal("vtnx-br", device.ObjectName);
        Assert.Contains("vtnx", device.Message);
        Assert.Equal("br9", IpCommand.ToException(Failed("Device \"br9\" does not exist."), null).ObjectName);
        Assert.Equal("br9", IpCommand.ToException(Failed("Error: argument \"br9\" is wrong: Device does not exist"), null).ObjectName);
        var ns = Assert.IsType<NetworkObjectNotFoundException>(IpCommand.ToException(Failed("Cannot open network namespace \"vtnq\": No such file or directory"), "vtnq"));
        Assert.Equal("vtnq", ns.ObjectName);
        Assert.Equal("vtnq", IpCommand.ToException(Failed("Cannot remove namespace file \"/run/netns/vtnq\": No such file or directory"), null).ObjectName);
        Assert.IsType<NetworkObjectExistsException>(IpCommand.ToException(Failed("RTNETLINK answers: File exists"), null));
        var other = IpCommand.ToException(Failed("Error: Unknown device type."), null);
        Assert.Equal(typeof(NetworkException), other.GetType());
        Assert.Contains("ip link add", other.Message);
        Assert.Contains("Unknown device type", other.Message);
    }

    [Fact]
    public void Errors_carry_stable_ids_and_categories()
    {
        var bridge = new BridgeNotFoundException("br7", "vtnabcde");
        Assert.Equal("Network.BridgeNotFound", bridge.ErrorId);
        Assert.Equal(VirtErrorCategory.ObjectNotFound, bridge.Category);
        Assert.Contains("'br7'", bridge.Message);
        Assert.Contains("vtnabcde", bridge.Message);
        Assert.Contains("host network namespace", new BridgeNotFoundException("br7", null).Message);
        var perm = new NetworkPermissionException(null, "create a bridge", "Operation not permitted");
        Assert.Equal(VirtErrorCategory.PermissionDenied, perm.Category);
        Assert.Contains("root", perm.Message);
        var tool = new NetworkToolMissingException("dnsmasq", "dnsmasq-base");
        Assert.Equal(VirtErrorCategory.NotInstalled, tool.Category);
        Assert.Contains("apt-get install dnsmasq-base", tool.Message);
    }
}
