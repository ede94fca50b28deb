using VirtTest.Core.Backends.Xen;
using VirtTest.Core.Config;
using VirtTest.Core.Monitor;
using VirtTest.Core.Tests.Config;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Backends.Xen;

/// <summary>
/// The xl command lines the Xen backend runs for each operation, recorded by a fake runner.
/// No Xen host: these check what would be sent to xl and how its answers are read, not
/// that a real hypervisor accepts them.
/// </summary>
public sealed class XenWithoutHypervisor_DriverTests : IDisposable
{
    private readonly TempDir _sysfs = new();
    private readonly RecordingXlRunner _xl = new();

    public void Dispose() => _sysfs.Dispose();

    private static VirtParams P(params (string Key, string Value)[] items) =>
        new(items.Select(i => new KeyValuePair<string, string>(i.Key, i.Value)));

    private XenVmDriver Driver(params (string Key, string Value)[] items) =>
        (XenVmDriver)new XenBackend(_xl, _sysfs.Path).CreateDriver("vm1", P(items.Prepend(("vm_type", "xen")).ToArray()));

    [Fact]
    public async Task StartCreatesThePausedDomainFromItsConfigFileThenUnpausesIt()
    {
        string? configSeen = null;
        _xl.On("create", args => { configSeen = File.ReadAllText(args[^1]); return RecordingXlRunner.Ok(); });
        var d = Driver(("mem", "768"));
        Assert.Matches("^vt-vm1-[0-9a-f]{8}$", d.DomainName);
        await d.StartAsync(paused: false, default);
        Assert.Equal(VmState.Running, d.State);
        var cfg = d.ConfigPath!;
        Assert.Equal(new[] { $"create -p -f {cfg}", $"unpause {d.DomainName}" }, _xl.Commands);
        Assert.True(Path.IsPathRooted(cfg)); // xl(1): the config file has to be an absolute path
        Assert.Contains($"name = \"{d.DomainName}\"\n", configSeen);
        Assert.Contains("memory = 768\n", configSeen);
        await d.KillAsync();
        Assert.Equal($"destroy {d.DomainName}", _xl.Commands[^1]);
        Assert.False(File.Exists(cfg));
        Assert.False(Directory.Exists(Path.GetDirectoryName(cfg)));
        Assert.Equal(VmState.Stopped, d.State);
    }

    [Fact]
    public async Task StartPausedLeavesTheDomainPaused()
    {
        var d = Driver();
        await d.StartAsync(paused: true, default);
        Assert.Equal(VmState.Paused, d.State);
        Assert.DoesNotContain(_xl.Commands, c => c.StartsWith("unpause", StringComparison.Ordinal));
        await d.KillAsync();
    }

    [Fact]
    public async Task FailedCreateThrowsXlErrorWithStderrAndLeavesNothingBehind()
    {
        _xl.On("create", _ => RecordingXlRunner.Fail(3, "libxl: error: libxl_create.c:1220: cannot init xl context"));
        _xl.On("destroy", a => RecordingXlRunner.Fail(1, $"{a[1]} is an invalid domain identifier (rc=-6)"));
        var d = Driver();
        var ex = await Assert.ThrowsAsync<XenToolstackException>(() => d.StartAsync(false, default));
        Assert.Equal(3, ex.ExitCode);
        Assert.Equal("create", ex.Command[0]);
        Assert.Contains("cannot init xl context", ex.Stderr);
        Assert.Contains("cannot init xl context", ex.Message);
        Assert.Contains("'xl create -p -f ", ex.Message);
        Assert.False(Directory.Exists(Path.GetDirectoryName(d.ConfigPath!)));
        Assert.NotEqual(VmState.Running, d.State);
    }

    [Fact]
    public async Task GracefulStopOfHvmUsesShutdownWaitWithAcpiFallback()
    {
        var d = Driver();
        await d.StartAsync(false, default);
        await d.StopAsync(TimeSpan.FromSeconds(30), default);
        Assert.Equal($"shutdown -w -F {d.DomainName}", _xl.Commands[^1]);
        Assert.Equal(VmState.Stopped, d.State);
    }

    [Fact]
    public async Task GracefulStopOfPvGuestHasNoAcpiFallbackAndDestroysWhenTheGuestIgnoresIt()
    {
        var kernel = _sysfs.Write("vmlinuz", "k");
        _xl.On("shutdown", a => throw new XenToolstackException(a, null, "", "did not finish within 1 s and was killed"));
        var d = Driver(("xen_guest_type", "pv"), ("kernel", kernel));
        await d.StartAsync(false, default);
        await d.StopAsync(TimeSpan.FromSeconds(1), default);
        Assert.Equal(new[] { $"shutdown -w {d.DomainName}", $"destroy {d.DomainName}" }, _xl.Commands.TakeLast(2));
        Assert.Equal(VmState.Stopped, d.State);
    }

    [Fact]
    public async Task StopCancelledDuringShutdownStillDestroysTheDomain()
    {
        _xl.On("shutdown", _ => throw new OperationCanceledException());
        var d = Driver();
        await d.StartAsync(false, default);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => d.StopAsync(TimeSpan.FromSeconds(30), default));
        Assert.Equal($"destroy {d.DomainName}", _xl.Commands[^1]);
        Assert.Equal(VmState.Stopped, d.State);
    }

    [Fact]
    public async Task PauseResumeAndStateFromXlList()
    {
        var d = Driver();
        await d.StartAsync(false, default);
        await d.PauseAsync(default);
        await d.ResumeAsync(default);
        Assert.Equal(new[] { $"pause {d.DomainName}", $"unpause {d.DomainName}" }, _xl.Commands.Skip(2).Take(2));
        _xl.On("list", a => RecordingXlRunner.Ok(
            "Name                                        ID   Mem VCPUs\tState\tTime(s)\n" +
            $"{a[1]}                          7   512     1     --p---       0.4\n"));
        Assert.Equal(VmState.Paused, await d.QueryStateAsync(default));
        _xl.On("list", a => RecordingXlRunner.Ok($"Name ID Mem VCPUs State Time(s)\n{a[1]} 7 512 1 -b---- 3.1\n"));
        Assert.Equal(VmState.Running, await d.QueryStateAsync(default));
        await d.KillAsync();
    }

    private void XlListsState(string flags) =>
        _xl.On("list", a => RecordingXlRunner.Ok($"Name ID Mem VCPUs State Time(s)\n{a[1]} 9 512 1 {flags} 1.0\n"));

    private void XlListsNoDomain() =>
        _xl.On("list", a => RecordingXlRunner.Fail(1, $"{a[1]} is an invalid domain identifier (rc=-6)"));

    [Fact]
    public async Task DomainThatStaysAwayLongerThanARestartTakesIsDeadWithTheReason()
    {
        _xl.On("destroy", a => RecordingXlRunner.Fail(1, $"{a[1]} is an invalid domain identifier (rc=-6)"));
        var d = Driver();
        d.RestartWindow = TimeSpan.FromMilliseconds(300);
        await d.StartAsync(false, default);
        XlListsNoDomain();
        // on_reboot=restart (the default): xl may be building it again, so not dead yet.
        Assert.Equal(VmState.Running, await d.QueryStateAsync(default));
        await Task.Delay(400);
        Assert.Equal(VmState.Dead, await d.QueryStateAsync(default));
        Assert.Contains("no longer exists", d.DeathReason);

        // Nothing would build it again: dead at the first look.
        var noRestart = Driver(("on_reboot", "destroy"));
        await noRestart.StartAsync(false, default);
        Assert.Equal(VmState.Dead, await noRestart.QueryStateAsync(default));
        Assert.Contains("no longer exists", noRestart.DeathReason);
    }

    [Theory]
    [InlineData("", "---sc-", VmState.Dead, "the domain crashed (on_crash=destroy; xl list state ---sc-)")]
    [InlineData("", "---s--", VmState.Stopped, "the guest powered the domain off (on_poweroff=destroy; xl list state ---s--)")]
    [InlineData("on_reboot=destroy", "--psr-", VmState.Dead, "the guest rebooted the domain (on_reboot=destroy; xl list state --psr-)")]
    // A suspend has no action setting (xl save and migrations suspend): named as it is.
    [InlineData("", "---ss-", VmState.Dead, "the domain was suspended (xl save, or a migration) (xl list state ---ss-)")]
    // on_crash=restart: xl builds a crashed domain again, so it lives on.
    [InlineData("on_crash=restart", "---sc-", VmState.Running, null)]
    public async Task ShutDownDomainEndsByItsReasonAndItsActionSetting(string setting, string flags, VmState expected, string? reason)
    {
        _xl.On("destroy", _ => RecordingXlRunner.Ok());
        var d = setting == "" ? Driver() : Driver((setting.Split('=')[0], setting.Split('=')[1]));
        await d.StartAsync(false, default);
        XlListsState(flags);
        Assert.Equal(expected, await d.QueryStateAsync(default));
        if (reason is null)
        {
            Assert.Null(d.DeathReason);
            await d.KillAsync();
            return;
        }
        Assert.Contains(reason, d.DeathReason);
        Assert.Equal($"destroy {d.DomainName}", _xl.Commands[^1]); // what is left of it is cleaned up
    }

    [Fact]
    public async Task RebootingDomainIsAliveWhileShutDownToRebootAndWhileXlBuildsItAgain()
    {
        var d = Driver();
        d.RestartWindow = TimeSpan.FromMilliseconds(300);
        await d.StartAsync(false, default);
        // CI's failure: a triple fault (Xen's reboot action) seen as the guest shutting the domain down.
        XlListsState("--psr-");
        Assert.Equal(VmState.Running, await d.QueryStateAsync(default));
        XlListsState("--psrd");
        Assert.Equal(VmState.Running, await d.QueryStateAsync(default));
        XlListsNoDomain();
        Assert.Equal(VmState.Running, await d.QueryStateAsync(default));
        // xl builds the new domain paused (the lab test saw this), then unpauses it.
        XlListsState("--p---");
        Assert.Equal(VmState.Running, await d.QueryStateAsync(default));
        XlListsState("-b----");
        Assert.Equal(VmState.Running, await d.QueryStateAsync(default));
        // The restart is over: a pause now is a pause.
        XlListsState("--p---");
        Assert.Equal(VmState.Paused, await d.QueryStateAsync(default));
        XlListsState("-b----");
        Assert.Equal(VmState.Running, await d.QueryStateAsync(default));
        // Back under its name: a later absence gets a window of its own.
        await Task.Delay(400);
        XlListsNoDomain();
        Assert.Equal(VmState.Running, await d.QueryStateAsync(default));
        Assert.Null(d.DeathReason);
        await d.KillAsync();
    }

    [Fact]
    public async Task PciPassthroughAttachListsAndDetachesByHostAddress()
    {
        _sysfs.Write("0000:03:00.0/vendor", "0x8086\n");
        _sysfs.Write("0000:03:00.0/device", "0x10d3\n");
        _sysfs.Write("0000:03:00.0/class", "0x020000\n");
        var attached = false;
        _xl.On("pci-attach", _ => { attached = true; return RecordingXlRunner.Ok(); });
        _xl.On("pci-detach", _ => { attached = false; return RecordingXlRunner.Ok(); });
        _xl.On("pci-list", _ => RecordingXlRunner.Ok("Vdev Device\n" + (attached ? "05.0 0000:03:00.0\n" : "")));
        var d = Driver();
        await d.StartAsync(false, default);
        var dev = await d.Monitor.AddPciDeviceAsync(
            new PciDeviceSpec("passthrough", null, new Dictionary<string, string> { ["host"] = "03:00.0", ["vslot"] = "5", ["permissive"] = "1" }),
            TimeSpan.FromSeconds(5), default);
        Assert.Contains($"pci-attach {d.DomainName} 0000:03:00.0@05,permissive=1", _xl.Commands);
        Assert.Equal("0000:03:00.0", dev.QdevId);
        Assert.Equal("00:05.0", dev.Address);
        Assert.Equal("8086:10d3", dev.VendorDevice);
        Assert.Equal(0x0200, dev.ClassCode);
        await d.Monitor.RemovePciDeviceAsync("0000:03:00.0", TimeSpan.FromSeconds(5), default);
        Assert.Contains($"pci-detach {d.DomainName} 0000:03:00.0", _xl.Commands);
        Assert.Empty(await d.Monitor.GetPciDevicesAsync(default));
        await d.KillAsync();
    }

    [Theory]
    [InlineData("e1000", null, "passthrough")]
    [InlineData("passthrough", null, "host=")]
    [InlineData("passthrough", "nic2", "host address")]
    public async Task PciHotplugOfAnythingButAHostDeviceIsRefusedWithoutRunningXl(string model, string? id, string message)
    {
        var d = Driver();
        await d.StartAsync(false, default);
        var before = _xl.Commands.Count;
        var props = model == "passthrough" && id is not null ? new Dictionary<string, string> { ["host"] = "0000:03:00.0" } : null;
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => d.Monitor.AddPciDeviceAsync(new PciDeviceSpec(model, id, props), TimeSpan.FromSeconds(1), default));
        Assert.Contains(message, ex.Message);
        Assert.Equal(before, _xl.Commands.Count);
        await d.KillAsync();
    }

    [Fact]
    public async Task OneXlConsoleOfTheRightTypeIsAttachedBeforeUnpauseAndFeedsLogAndSessions()
    {
        var hvm = Driver();
        var order = new List<string>();
        _xl.On("unpause", _ => { order.Add("unpause after " + _xl.OpenedCommands.Count + " console(s)"); return RecordingXlRunner.Ok(); });
        await hvm.StartAsync(false, default);
        Assert.Equal(new[] { "unpause after 1 console(s)" }, order);
        var console = _xl.Streams.Single();
        console.Feed("SeaBIOS\nLinux booting\n");
        var vmLog = await WaitForLogAsync(hvm.ConsoleLogPath!, "Linux booting");
        Assert.StartsWith("SeaBIOS\n", vmLog);

        await using (var session = await hvm.OpenSerialConsoleAsync(TimeSpan.FromSeconds(1), default))
        {
            console.Feed("login: ");
            var buffer = new byte[64];
            var n = await session.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("login: ", System.Text.Encoding.UTF8.GetString(buffer, 0, n));
            await session.WriteAsync("root\n"u8.ToArray());
            Assert.Equal("root\n", console.Written);
        }
        Assert.False(console.IsDisposed); // a session's end leaves the console attached

        var pv = Driver(("xen_guest_type", "pv"), ("kernel", _sysfs.Write("vmlinuz", "k")));
        await pv.StartAsync(false, default);
        Assert.Equal(new[] { $"console -t serial {hvm.DomainName}", $"console -t pv {pv.DomainName}" }, _xl.OpenedCommands);
        var log = hvm.ConsoleLogPath!;
        await hvm.KillAsync();
        await pv.KillAsync();
        Assert.True(console.IsDisposed);
        Assert.False(File.Exists(log));
        await Assert.ThrowsAsync<VmStateException>(() => hvm.OpenSerialConsoleAsync(TimeSpan.FromSeconds(1), default));
    }

    private static async Task<string> WaitForLogAsync(string path, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var content = File.Exists(path) ? await File.ReadAllTextAsync(path) : "";
            if (content.Contains(text, StringComparison.Ordinal)) return content;
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"'{text}' not in console log; it has: {content}");
            await Task.Delay(20);
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds (the console tee works on its own task).</summary>
    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow >= deadline) throw new Xunit.Sdk.XunitException("timed out waiting until " + what);
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task ConsoleFollowsADomainThatRebootsAndStopsWithADomainThatIsGone()
    {
        var domainExists = true;
        _xl.On("list", a => domainExists ? RecordingXlRunner.Ok($"Name ID Mem VCPUs State Time(s)\n{a[1]} 7 128 1 -b---- 1.0\n")
            : RecordingXlRunner.Fail(1, $"{a[1]} is an invalid domain identifier (rc=-6)"));
        var d = Driver();
        d.RestartWindow = TimeSpan.FromSeconds(2);
        await d.StartAsync(false, default);
        var console = await d.OpenSerialConsoleAsync(TimeSpan.FromSeconds(5), default);
        _xl.Streams[0].Feed("first boot\n");
        // A reboot: the domain gets a new id, so xl console ends; the domain (by name) is away for a moment.
        domainExists = false;
        _xl.Streams[0].End();
        await Eventually(() => _xl.Commands.Count(c => c.StartsWith("list", StringComparison.Ordinal)) >= 1, "the tee asks for the domain");
        domainExists = true;
        await Eventually(() => _xl.Streams.Count == 2, "the console is attached again");
        Assert.Equal(_xl.OpenedCommands[0], _xl.OpenedCommands[1]);
        _xl.Streams[1].Feed("second boot\n");
        await Eventually(() => File.ReadAllText(d.ConsoleLogPath!).Contains("second boot"), "the log has the second boot");
        Assert.Equal("first boot\nsecond boot\n", File.ReadAllText(d.ConsoleLogPath!));
        // A session opened before the reboot goes on reading, and writes reach the new console.
        var buffer = new byte[64];
        var read = new System.Text.StringBuilder();
        while (!read.ToString().Contains("second boot")) read.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, await console.ReadAsync(buffer)));
        await console.WriteAsync("ls\n"u8.ToArray());
        await Eventually(() => _xl.Streams[1].Written == "ls\n", "the write reaches the new console");
        Assert.Contains("attached again 1 time", d.ConsoleStatus);

        // The domain is gone: the console ends for good, and says why.
        domainExists = false;
        _xl.Streams[1].End();
        await Eventually(() => d.ConsoleStatus?.Contains("ended with the domain") == true, "the console reports its end");
        Assert.Equal(2, _xl.Streams.Count);
        Assert.Equal(0, await console.ReadAsync(buffer));
        await console.DisposeAsync();
        await d.KillAsync();
        Assert.All(_xl.Streams, s => Assert.True(s.IsDisposed));
    }

    [Fact]
    public async Task ResetAndPowerdownAreXlTriggerAndShutdown()
    {
        var d = Driver();
        await d.StartAsync(false, default);
        await d.Monitor.SystemResetAsync(default);
        await d.Monitor.SystemPowerdownAsync(default);
        Assert.Equal(new[] { $"trigger {d.DomainName} reset", $"shutdown -F {d.DomainName}" }, _xl.Commands.TakeLast(2));
        await d.KillAsync();
    }

    [Fact]
    public async Task MigrationIsXlMigrateToLocalhostAndTheSourceNoLongerDestroysTheDomain()
    {
        var d = Driver();
        await d.StartAsync(false, default);
        var progress = new List<MigrationProgress>();
        var dest = (XenVmDriver)await d.MigrateAsync(new MigrationOptions(), new SyncProgress(progress), default);
        Assert.Equal($"migrate {d.DomainName} localhost", _xl.Commands[^1]);
        Assert.Equal("completed", progress[^1].Status);
        Assert.Equal(d.DomainName, dest.DomainName);
        Assert.Equal(VmState.Running, dest.State);
        Assert.Equal(2, _xl.Streams.Count); // the destination attached a console of its own
        Assert.True(_xl.Streams[0].IsDisposed);
        Assert.Equal(d.ConsoleLogPath, dest.ConsoleLogPath);
        var count = _xl.Commands.Count;
        await d.DisposeAsync();
        Assert.Equal(count, _xl.Commands.Count); // the source's disposal leaves the migrated domain alone
        await dest.KillAsync();
        Assert.Equal($"destroy {d.DomainName}", _xl.Commands[^1]);
        await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            var other = Driver();
            await other.StartAsync(false, default);
            try { await other.MigrateAsync(new MigrationOptions { Protocol = "tcp" }, null, default); }
            finally { await other.KillAsync(); }
        });
    }

    private sealed class SyncProgress(List<MigrationProgress> into) : IProgress<MigrationProgress>
    {
        public void Report(MigrationProgress value) => into.Add(value);
    }
}
