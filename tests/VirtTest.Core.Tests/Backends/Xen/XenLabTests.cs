using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using VirtTest.Core.Backends.Xen;
using VirtTest.Core.Config;
using VirtTest.Core.Monitor;
using VirtTest.Core.Session;
using VirtTest.Core.Tests.Config;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Backends.Xen;

/// <summary>
/// The Xen backend against a real Xen 4.17 hypervisor (the nested lab, build/XenLab.ps1),
/// reached over SSH: xl through the SSH runner, a PV guest's life cycle through the Core API,
/// and the errors of a bad host, a bad login and a config xl rejects.
/// </summary>
[Trait("Category", "Xen")]
[Collection("XenLab")]
public sealed class XenLabTests
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(240);
    private readonly XenLabFixture _lab;

    public XenLabTests(XenLabFixture lab) => _lab = lab;

    /// <summary>Params of a PV guest: the test guest's kernel and initrd on the PV console, no NIC.</summary>
    private VirtParams PvGuest(string name, params (string Key, string Value)[] extra)
    {
        var guest = TestGuest.Locate();
        var p = guest.CreateParams(name, memoryMB: 128);
        p["vm_type"] = "xen";
        p["xen_guest_type"] = "pv";
        // The PV console is hvc0; no user-mode network on Xen (vifs need a bridge).
        p["kernel_params"] = "console=hvc0 panic=-1 quiet virttest.nonet=1";
        p["nics"] = "";
        foreach (var (k, v) in _lab.HostParams()) p[k] = v;
        foreach (var (k, v) in extra) p[k] = v;
        return p;
    }

    private async Task<string> XlListAsync(XlSshRunner runner)
    {
        var r = await runner.RunAsync(new[] { "list" }, TimeSpan.FromSeconds(60), default);
        Assert.Equal(0, r.ExitCode);
        return r.Stdout;
    }

    [Fact]
    public async Task XlRunsOnTheHostOverOneConnectionWithArgumentsUnsplit()
    {
        await using var runner = new XlSshRunner(_lab.Target());
        var info = await runner.RunAsync(new[] { "info" }, TimeSpan.FromSeconds(60), default);
        Assert.Equal(0, info.ExitCode);
        Assert.Matches(@"(?m)^xen_major\s*:\s*4$", info.Stdout);
        Assert.Matches(@"(?m)^virt_caps\s*:.*\bpv\b", info.Stdout);
        var list = await XlListAsync(runner);
        Assert.NotNull(XlOutput.StateFlags(list, "Domain-0"));
        // One word with a space, quotes and shell syntax reaches xl as it is (xl names it back).
        const string odd = "vt-no such 'dom' $(true);x";
        var missing = await runner.RunAsync(new[] { "list", odd }, TimeSpan.FromSeconds(60), default);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains(odd, missing.Stderr);
        Assert.True(XlToolstack.IsNoSuchDomain(missing.Stderr), missing.Stderr);
    }

    [Fact]
    public async Task PvGuestLivesPausesResumesAndIsDeadWithAReasonWhenDestroyedBehindOurBack()
    {
        var p = PvGuest("xenlife");
        await using var vm = VirtualMachine.FromParams(p, "xenlife");
        var guest = TestGuest.Locate();
        await vm.StartAsync();
        await using var runner = new XlSshRunner(_lab.Target());
        // The domain's unique name: vt-<vm>-<8 hex digits>.
        var domain = Regex.Match(await XlListAsync(runner), @"(?m)^(vt-xenlife-[0-9a-f]{8})\s").Groups[1].Value;
        Assert.NotEqual("", domain);
        Assert.True(await RemoteFolderExistsAsync(domain));

        await vm.WaitForConsoleAsync(new Regex(Regex.Escape(guest.ReadyLine)), Boot);
        await using (var console = await SerialSession.ConnectAsync(vm, new Regex(guest.ShellPrompt), TimeSpan.FromSeconds(30)))
        {
            await console.WaitForPromptAsync(TimeSpan.FromSeconds(60));
            // A PV guest of the real hypervisor, on the PV console.
            Assert.Equal("xen", (await console.CmdAsync("cat /sys/hypervisor/type", TimeSpan.FromSeconds(60))).Trim());
            Assert.Equal("PV", (await console.CmdAsync("cat /sys/hypervisor/guest_type", TimeSpan.FromSeconds(60))).Trim());
            Assert.Contains("hvc0", (await console.CmdAsync("cat /sys/class/tty/console/active", TimeSpan.FromSeconds(60))).Split(' ', '\n'));

            await vm.PauseAsync();
            Assert.Equal(VmState.Paused, await vm.RefreshStateAsync());
            Assert.Contains('p', XlOutput.StateFlags(await XlListAsync(runner), domain)!);
            await vm.ResumeAsync();
            Assert.Equal(VmState.Running, await vm.RefreshStateAsync());
            Assert.Equal("after resume", (await console.CmdAsync("echo after resume", TimeSpan.FromSeconds(60))).Trim());

            // A reboot (on_reboot=restart) gives the domain a new id, which ends xl console: the
            // console follows, so the log and this session see the second boot.
            // Asked often meanwhile, the state stays Running: the domain shut down to reboot, absent
            // while xl destroys it, then built paused again, is no end and no pause (CI once saw a
            // triple fault's reboot as an end).
            var beforeReboot = vm.ConsoleLogLength;
            var states = new List<VmState>();
            using var stopPolling = new CancellationTokenSource();
            var polling = Task.Run(async () =>
            {
                while (!stopPolling.IsCancellationRequested)
                {
                    states.Add(await vm.RefreshStateAsync());
                    await Task.Delay(200);
                }
            });
            await console.SendLineAsync("reboot -f");
            await vm.WaitForConsoleAfterAsync(new Regex(Regex.Escape(guest.ReadyLine)), beforeReboot, Boot);
            stopPolling.Cancel();
            await polling;
            Assert.True(states.Count >= 5, $"only {states.Count} state queries during the reboot");
            Assert.All(states, state => Assert.Equal(VmState.Running, state));
            Assert.Contains("attached again", vm.ConsoleStatus);
            await console.WaitForPromptAsync(TimeSpan.FromSeconds(60));
            Assert.Equal("after reboot", (await console.CmdAsync("echo after reboot", TimeSpan.FromSeconds(60))).Trim());
        }

        // Destroyed outside the framework: the next state query finds it gone.
        var destroyed = await runner.RunAsync(new[] { "destroy", domain }, TimeSpan.FromSeconds(60), default);
        Assert.Equal(0, destroyed.ExitCode);
        // A wait for output from a domain that is gone ends at the next liveness check (xl list), not at its timeout.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var waitError = await Assert.ThrowsAsync<VmStateException>(() => vm.WaitForConsoleAsync(new Regex("never printed"), Boot));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the wait took {clock.Elapsed}");
        Assert.Contains("no longer exists", waitError.Message);
        Assert.Equal(VmState.Dead, await vm.RefreshStateAsync());
        Assert.Contains(domain, vm.DeathReason);
        Assert.Contains("no longer exists", vm.DeathReason);
        Assert.Null(XlOutput.StateFlags(await XlListAsync(runner), domain));
        Assert.False(await RemoteFolderExistsAsync(domain));
    }

    [Fact]
    public async Task PvhGuestBootsAnswersOnItsConsoleAndHotPlugsADiskThatIsTheHostsFile()
    {
        var p = PvGuest("xenpvh", ("xen_guest_type", "pvh"));
        await using var vm = VirtualMachine.FromParams(p, "xenpvh");
        var guest = TestGuest.Locate();
        // The disk is a file on the Xen host (xl block-attach opens the host's path).
        var hostImage = $"/var/tmp/virttest-disk-{Guid.NewGuid():N}.img";
        await using var ssh = await SshSession.ConnectAsync(_lab.Target().ToConnectionOptions(), TimeSpan.FromSeconds(30));
        try
        {
            Assert.Equal(0, (await ssh.ExecAsync("truncate -s 32M " + VirtTest.Core.Transfer.ShellQuote.Single(hostImage), TimeSpan.FromSeconds(30))).ExitStatus);
            await vm.StartAsync();
            await vm.WaitForConsoleAsync(new Regex(Regex.Escape(guest.ReadyLine)), Boot);
            await using (var console = await SerialSession.ConnectAsync(vm, new Regex(guest.ShellPrompt), TimeSpan.FromSeconds(30)))
            {
                await console.WaitForPromptAsync(TimeSpan.FromSeconds(60));
                Assert.Equal("PVH", (await console.CmdAsync("cat /sys/hypervisor/guest_type", TimeSpan.FromSeconds(60))).Trim());

                Assert.True(vm.Capabilities.HasFlag(VmCapability.DiskHotplug));
                var disk = await vm.AddDiskAsync(new DiskSpec(hostImage), TimeSpan.FromSeconds(120));
                Assert.Equal((hostImage, "raw", 32L << 20), (disk.File, disk.Format, disk.Size));
                var dev = disk.Id;
                Assert.Matches("^xvd[a-z]$", dev);
                // The guest's blkfront sees it (xenbus handshake), 65536 sectors of 512 bytes; data
                // written there lands in the host's file.
                Assert.Equal("65536", (await console.CmdAsync(
                    $"i=0; while [ ! -e /sys/block/{dev} ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i+1)); done; cat /sys/block/{dev}/size",
                    TimeSpan.FromSeconds(90))).Trim());
                await console.CmdAsync($"echo vt-xen-disk-data > /tmp/d; dd if=/tmp/d of=/dev/{dev} bs=512 count=1 conv=sync,fsync 2>/dev/null; echo written", TimeSpan.FromSeconds(60));
                Assert.Equal("vt-xen-disk-data", (await console.CmdAsync($"dd if=/dev/{dev} bs=512 count=1 2>/dev/null | head -n 1", TimeSpan.FromSeconds(60))).Trim());
                Assert.Contains(await vm.GetBlockDevicesAsync(), d => d.Id == dev);

                await vm.RemoveDiskAsync(dev, TimeSpan.FromSeconds(120));
                Assert.DoesNotContain(await vm.GetBlockDevicesAsync(), d => d.Id == dev);
                Assert.Equal("gone", (await console.CmdAsync($"[ -e /sys/block/{dev} ] && echo present || echo gone", TimeSpan.FromSeconds(60))).Trim());
                var onHost = await ssh.ExecAsync("head -n 1 " + VirtTest.Core.Transfer.ShellQuote.Single(hostImage), TimeSpan.FromSeconds(30));
                Assert.StartsWith("vt-xen-disk-data", onHost.Stdout);

                // A path that is no file on the host: a typed error naming it and the host, nothing attached.
                var missing = await Assert.ThrowsAsync<VirtTest.Core.Storage.ImageNotFoundException>(() => vm.AddDiskAsync(new DiskSpec(hostImage + ".none"), TimeSpan.FromSeconds(30)));
                Assert.Contains(_lab.Target().ToString(), missing.Message);
                Assert.DoesNotContain(await vm.GetBlockDevicesAsync(), d => d.File == hostImage + ".none");
            }
            Assert.Equal(VmState.Running, await vm.RefreshStateAsync());
            await vm.StopAsync(TimeSpan.Zero);
            Assert.Equal(VmState.Stopped, vm.State);
            await using var runner = new XlSshRunner(_lab.Target());
            Assert.DoesNotContain("vt-xenpvh-", await XlListAsync(runner));
        }
        finally
        {
            await ssh.ExecAsync("rm -f -- " + VirtTest.Core.Transfer.ShellQuote.Single(hostImage), TimeSpan.FromSeconds(30));
        }
    }

    private async Task<bool> RemoteFolderExistsAsync(string domainName)
    {
        await using var ssh = await SshSession.ConnectAsync(_lab.Target().ToConnectionOptions(), TimeSpan.FromSeconds(30));
        var r = await ssh.ExecAsync("test -e " + VirtTest.Core.Transfer.ShellQuote.Single(XlSshRunner.RemoteRoot + "/" + domainName), TimeSpan.FromSeconds(30));
        return r.ExitStatus == 0;
    }

    [Fact]
    public async Task ConfigXlRejectsIsXlsMessageNamingTheHostAndLeavesNothing()
    {
        // A kernel that is no kernel: xl's domain builder finds no loader for it.
        using var dir = new TempDir();
        var bogus = dir.Write("not-a-kernel", "this is text, not a kernel\n");
        var p = PvGuest("xenbad", ("kernel", bogus), ("initrd", ""));
        await using var vm = VirtualMachine.FromParams(p, "xenbad");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<XenToolstackException>(() => vm.StartAsync());
        Assert.Equal(_lab.XenHost, ex.Host);
        Assert.Equal("create", ex.Command[0]);
        Assert.Contains(_lab.XenHost, ex.Message);
        Assert.NotEqual(0, ex.ExitCode ?? 0);
        Assert.False(string.IsNullOrWhiteSpace(ex.Stderr));
        Assert.Contains(ex.Stderr.Trim().Split('\n')[^1].Trim(), ex.Message);
        Assert.NotEqual(VmState.Running, vm.State);
        await using var runner = new XlSshRunner(_lab.Target());
        Assert.DoesNotContain("vt-xenbad-", await XlListAsync(runner));
        var domain = Regex.Match(ex.Command[^1], @"vt-xenbad-[0-9a-f]{8}").Value;
        Assert.False(await RemoteFolderExistsAsync(domain));
    }

    [Fact]
    public async Task UnreachableHostIsATypedErrorNamingTheHost()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }
        var p = PvGuest("xennohost", ("xen_host", $"root@127.0.0.1:{port}"), ("xen_host_timeout", "3"), ("xen_host_known_hosts", ""), ("xen_host_key_policy", "accept-new"));
        await using var vm = VirtualMachine.FromParams(p, "xennohost");
        var ex = await Assert.ThrowsAsync<XenHostException>(() => vm.StartAsync());
        Assert.Equal($"root@127.0.0.1:{port}", ex.Host);
        Assert.Contains($"root@127.0.0.1:{port}", ex.Message);
        Assert.Contains("no SSH connection within 3 s", ex.Message);
        Assert.Equal(VirtErrorCategory.ConnectionError, ex.Category);
        Assert.NotEqual(VmState.Running, vm.State);
    }

    [Fact]
    public async Task WrongPasswordIsAnAuthenticationErrorNamingTheHostWithoutThePassword()
    {
        const string password = "Wrong-Pw-9315";
        var p = PvGuest("xenbadpw", ("xen_host_key", ""), ("xen_host_password", password));
        await using var vm = VirtualMachine.FromParams(p, "xenbadpw");
        var ex = await Assert.ThrowsAsync<XenHostAuthenticationException>(() => vm.StartAsync());
        Assert.Equal(_lab.XenHost, ex.Host);
        Assert.Contains(_lab.XenHost, ex.Message);
        Assert.DoesNotContain(password, ex.ToString());
        Assert.Equal(VirtErrorCategory.AuthenticationError, ex.Category);
    }
}
