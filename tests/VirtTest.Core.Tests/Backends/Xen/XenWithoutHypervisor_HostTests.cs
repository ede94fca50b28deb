using VirtTest.Core.Backends.Xen;
using VirtTest.Core.Config;
using VirtTest.Core.Session;
using VirtTest.Core.Tests.Config;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Backends.Xen;

/// <summary>The Xen host params (xen_host and its login) and the sharing of one runner per host; no connection is made.</summary>
public sealed class XenWithoutHypervisor_HostTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static VirtParams P(params (string Key, string Value)[] items) =>
        new(items.Select(i => new KeyValuePair<string, string>(i.Key, i.Value)));

    [Fact]
    public void NoXenHostMeansXlOnThisMachine()
    {
        Assert.Null(XenHostTarget.FromParams(P(("vm_type", "xen"))));
    }

    [Theory]
    [InlineData("root@127.0.0.1:2222", "root", "127.0.0.1", 2222)]
    [InlineData("xen1.example.org", "root", "xen1.example.org", 22)]
    [InlineData("admin@xen1:22", "admin", "xen1", 22)]
    [InlineData("root@[::1]:2200", "root", "::1", 2200)]
    public void TargetsParse(string text, string user, string host, int port)
    {
        var key = _dir.Write("id", "not read here");
        var t = XenHostTarget.FromParams(P(("xen_host", text), ("xen_host_key", key)))!;
        Assert.Equal((user, host, port), (t.UserName, t.Host, t.Port));
        Assert.Equal(Path.GetFullPath(key), t.PrivateKeyPath);
        Assert.Equal(SshHostKeyPolicy.AcceptNew, t.HostKeyPolicy);
        Assert.Equal(XenHostTarget.DefaultConnectTimeout, t.ConnectTimeout);
    }

    [Theory]
    [InlineData("xen_host", "root@host:99999", "xen_host")]
    [InlineData("xen_host", "root@ho st", "xen_host")]
    [InlineData("xen_host_key_policy", "trust-all", "xen_host_key_policy")]
    [InlineData("xen_host_timeout", "soon", "xen_host_timeout")]
    [InlineData("xen_host_key", "/nonexistent/id", "xen_host_key")]
    public void BadHostParamsNameTheParam(string key, string value, string param)
    {
        var p = P(("xen_host", "root@xen1"), ("xen_host_password", "pw"));
        p[key] = value;
        Assert.Equal(param, Assert.Throws<VmParamException>(() => XenHostTarget.FromParams(p, "vm1")).Param);
    }

    [Fact]
    public void AHostNeedsALoginAndStrictNeedsKnownHosts()
    {
        Assert.Equal("xen_host_key", Assert.Throws<VmParamException>(() => XenHostTarget.FromParams(P(("xen_host", "root@xen1")))).Param);
        Assert.Equal("xen_host_known_hosts", Assert.Throws<VmParamException>(() =>
            XenHostTarget.FromParams(P(("xen_host", "root@xen1"), ("xen_host_password", "pw"), ("xen_host_key_policy", "strict")))).Param);
    }

    [Fact]
    public void ThePasswordIsInNoTextButTellsConnectionsApart()
    {
        var a = XenHostTarget.FromParams(P(("xen_host", "root@xen1"), ("xen_host_password", "Secret-One-771")))!;
        var b = XenHostTarget.FromParams(P(("xen_host", "root@xen1"), ("xen_host_password", "Secret-Two-772")))!;
        Assert.Equal("root@xen1:22", a.ToString());
        Assert.DoesNotContain("Secret-One-771", a.ConnectionKey);
        Assert.NotEqual(a.ConnectionKey, b.ConnectionKey);
        Assert.DoesNotContain("Secret", a.ToConnectionOptions().ToString());
    }

    [Fact]
    public async Task VmsOnOneHostShareOneRunnerUntilTheLastIsGoneAndTheLingerPassed()
    {
        var pool = new XenHostPool(TimeSpan.FromMilliseconds(200));
        var target = XenHostTarget.FromParams(P(("xen_host", "root@xen1"), ("xen_host_password", "pw")))!;
        var other = XenHostTarget.FromParams(P(("xen_host", "root@xen2"), ("xen_host_password", "pw")))!;
        var first = pool.Acquire(target);
        var second = pool.Acquire(target);
        var elsewhere = pool.Acquire(other);
        Assert.Same(first.Runner, second.Runner);
        Assert.NotSame(first.Runner, elsewhere.Runner);
        Assert.Equal("root@xen1:22", first.Runner.RemoteHost);
        first.Dispose();
        first.Dispose(); // once only
        await Task.Delay(400);
        Assert.Equal(2, pool.Count); // second still holds it
        second.Dispose();
        var again = pool.Acquire(target); // within the linger: the same runner
        Assert.Same(second.Runner, again.Runner);
        again.Dispose();
        elsewhere.Dispose();
        for (var i = 0; i < 50 && pool.Count > 0; i++) await Task.Delay(100);
        Assert.Equal(0, pool.Count);
    }

    [Fact]
    public void ABackendWithXenHostGivesTheVmARemoteRunnerAndNoLocalXl()
    {
        var backend = new XenBackend();
        var p = P(("vm_type", "xen"), ("xen_guest_type", "pv"), ("xen_bootloader", "pygrub"), ("xen_host", "root@xen1"), ("xen_host_password", "pw"));
        using var lease = backend.Lease(p, "vm1");
        Assert.IsType<XlSshRunner>(lease.Runner);
        using var local = backend.Lease(P(("vm_type", "xen")), "vm1");
        Assert.IsType<XlProcessRunner>(local.Runner);
    }
}
