using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.RegularExpressions;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Vm;

/// <summary>The QEMU backend against real QEMU (TCG) and the project's real test guest.</summary>
[Collection("Guest")]
[Trait("Category", "Guest")]
public sealed class QemuGuestTests
{
    private static readonly TimeSpan Hotplug = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("virtio-net-pci")]
    [InlineData("e1000")]
    public async Task HotPluggedNicShowsUpInTheMonitorAndInTheGuestAndGoesAwayAgain(string model)
    {
        await using var g = await GuestVm.BootAsync("hp-" + model.Replace("-", ""));
        var console = await g.ConsoleAsync();
        var guestBefore = int.Parse(await g.RunAsync(console, "ls /sys/bus/pci/devices | wc -l"));
        var before = await g.Vm.GetPciDevicesAsync();
        Assert.Equal(guestBefore, before.Count);

        var added = await g.Vm.AddPciDeviceAsync(new PciDeviceSpec(model, "hotnic"), Hotplug);
        Assert.Equal("hotnic", added.QdevId);
        Assert.Equal(0x0200, added.ClassCode);   // Ethernet controller
        var after = await g.Vm.GetPciDevicesAsync();
        Assert.Equal(before.Count + 1, after.Count);
        Assert.Contains(after, d => d.QdevId == "hotnic" && d.Address == added.Address);

        // The guest sees the new function (ACPI hot-plug) with the same vendor:device ids.
        var vendorDevice = await WaitForGuestAsync(g, console,
            $"cat /sys/bus/pci/devices/0000:{added.Address}/vendor /sys/bus/pci/devices/0000:{added.Address}/device 2>/dev/null | tr '\\n' ' '",
            // Both files: right after hot-plug the kernel may list one before the other.
            s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 2);
        Assert.Equal($"0x{added.VendorId:x4} 0x{added.DeviceId:x4}", vendorDevice);
        Assert.Equal((guestBefore + 1).ToString(), await g.RunAsync(console, "ls /sys/bus/pci/devices | wc -l"));

        await g.Vm.RemovePciDeviceAsync("hotnic", Hotplug);
        Assert.Equal(before.Count, (await g.Vm.GetPciDevicesAsync()).Count);
        Assert.Equal(guestBefore.ToString(), await WaitForGuestAsync(g, console, "ls /sys/bus/pci/devices | wc -l", s => s == guestBefore.ToString()));
        Assert.Contains(g.Vm.Monitor.Events, e => e.Name == "DEVICE_DELETED" && e.GetString("device") == "hotnic");
    }

    private static async Task<string> WaitForGuestAsync(GuestVm g, VirtTest.Core.Session.SerialSession console, string command, Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var output = (await console.CmdOutputAsync(command, TimeSpan.FromSeconds(20))).Trim();
            if (done(output) || DateTime.UtcNow > deadline) return output;
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task PauseAndResumeShowInStateQueryAndEvents()
    {
        await using var g = await GuestVm.BootAsync("pause");
        var mark = g.Vm.Monitor.LastEventSequence;
        await g.Vm.PauseAsync();
        Assert.Equal(VmState.Paused, g.Vm.State);
        Assert.Equal(VmState.Paused, await g.Vm.RefreshStateAsync());
        var stop = await g.Vm.WaitForEventAsync("STOP", null, mark, TimeSpan.FromSeconds(10));
        await g.Vm.ResumeAsync();
        Assert.Equal(VmState.Running, await g.Vm.RefreshStateAsync());
        var resume = await g.Vm.WaitForEventAsync("RESUME", null, stop.Sequence, TimeSpan.FromSeconds(10));
        Assert.True(resume.Sequence > stop.Sequence);
        Assert.Equal("running", (await g.Vm.InvokeMonitorAsync("query-status", null, TimeSpan.FromSeconds(10)))!["status"]!.GetValue<string>());
        Assert.Contains("running", await g.Vm.InvokeHumanMonitorAsync("info status", TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ScreendumpIsAPngOfTheDisplaySize()
    {
        await using var g = await GuestVm.BootAsync("shot");
        var file = Path.Combine(Path.GetTempPath(), $"virttest-shot-{Guid.NewGuid():N}.png");
        try
        {
            await g.Vm.SaveScreenshotAsync(file);
            var bytes = await File.ReadAllBytesAsync(file);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a }, bytes[..8]);
            Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
            var width = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16));
            var height = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
            // The guest uses the serial console, so the standard VGA stays in 80x25 text mode: 720x400.
            Assert.Equal((720, 400), (width, height));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task KeysAndMouseReachTheVmWithoutErrors()
    {
        await using var g = await GuestVm.BootAsync("input");
        await g.Vm.SendKeysAsync(new[] { "shift", "a" });
        await g.Vm.MoveMouseAsync(10, -5);
        var error = await Assert.ThrowsAsync<MonitorCommandException>(() => g.Vm.SendKeysAsync(new[] { "no-such-key" }));
        Assert.Equal("send-key", error.Command);
        Assert.False(string.IsNullOrEmpty(error.ErrorClass));
    }

    [Fact]
    public async Task LiveMigrationMovesTheGuestToANewQemuThatStillAnswers()
    {
        await using var g = await GuestVm.BootAsync("migr");
        var console = await g.ConsoleAsync();
        await g.RunAsync(console, "echo before-migration > /tmp/marker");
        var sourcePid = g.Vm.ProcessId!.Value;
        var sourceLog = g.Vm.ConsoleLogPath!;
        var readings = new List<MigrationProgress>();
        await g.Vm.MigrateAsync(new MigrationOptions { Protocol = "tcp" }, new SyncProgress(readings.Add));
        Assert.Equal(1, g.Vm.MigrationCount);
        Assert.Equal(VmState.Running, await g.Vm.RefreshStateAsync());
        Assert.NotEqual(sourcePid, g.Vm.ProcessId);
        Assert.False(GuestVm.ProcessAlive(sourcePid));
        Assert.False(Directory.Exists(Path.GetDirectoryName(sourceLog)));
        Assert.Contains(readings, r => r.Status == "completed");

        var destination = await g.ConsoleAsync();
        Assert.Equal("before-migration", await g.RunAsync(destination, "cat /tmp/marker"));
    }

    [Fact]
    public async Task MigrationToAVmWaitingAtAUriMovesTheGuestThere()
    {
        // As between two cluster nodes: the destination is a VM of its own, started to receive.
        await using var source = await GuestVm.BootAsync("xmig-src");
        var console = await source.ConsoleAsync();
        await source.RunAsync(console, "echo sent-across > /tmp/marker");
        await using var destination = GuestVm.Create("xmig-dst");
        using var port = VirtTest.Core.Resources.PortAllocator.ReservePort();
        var uri = $"tcp:127.0.0.1:{port.Port}";
        await destination.Vm.StartIncomingMigrationAsync(uri);
        Assert.Equal(VmState.Paused, destination.Vm.State);

        var readings = new List<MigrationProgress>();
        await source.Vm.SendMigrationAsync(uri, TimeSpan.FromMinutes(2), new SyncProgress(readings.Add));
        Assert.Contains(readings, r => r.Status == "completed");
        Assert.Equal(VmState.Paused, source.Vm.State);
        await destination.Vm.CompleteIncomingMigrationAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(VmState.Running, await destination.Vm.RefreshStateAsync());
        Assert.Equal(1, destination.Vm.MigrationCount);
        await source.Vm.KillAsync();

        var there = await destination.ConsoleAsync();
        Assert.Equal("sent-across", await destination.RunAsync(there, "cat /tmp/marker"));

        // A second send from the stopped source is refused by state, not attempted.
        await Assert.ThrowsAsync<VmStateException>(() => source.Vm.SendMigrationAsync(uri, TimeSpan.FromSeconds(5)));
    }

    private sealed class SyncProgress : IProgress<MigrationProgress>
    {
        private readonly Action<MigrationProgress> _report;
        public SyncProgress(Action<MigrationProgress> report) => _report = report;
        public void Report(MigrationProgress value) { lock (this) _report(value); }
    }

    [Fact]
    public async Task QemuKilledBehindTheFrameworksBackMakesTheVmDeadWithTypedErrorsAndNothingLeft()
    {
        await using var g = await GuestVm.BootAsync("killed");
        var pid = g.Vm.ProcessId!.Value;
        var runtimeDir = Path.GetDirectoryName(g.Vm.ConsoleLogPath)!;
        Process.GetProcessById(pid).Kill();
        Assert.Equal(VmState.Dead, await WaitForStateAsync(g.Vm, VmState.Dead));
        Assert.Contains("exit", g.Vm.DeathReason);
        var error = await Assert.ThrowsAsync<VmStateException>(() => g.Vm.GetPciDevicesAsync());
        Assert.Equal(VmState.Dead, error.State);
        Assert.Contains("signal 9", error.Message);
        Assert.False(Directory.Exists(runtimeDir));
        Assert.False(GuestVm.ProcessAlive(pid));
        // A dead VM can be started again.
        await g.Vm.StartAsync();
        await g.Vm.WaitForConsoleAsync(new Regex(Regex.Escape(g.Guest.ReadyLine)), GuestVm.BootTimeout);
        Assert.Equal(VmState.Running, g.Vm.State);
    }

    private static async Task<VmState> WaitForStateAsync(VirtualMachine vm, VmState wanted)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (await vm.RefreshStateAsync() != wanted && DateTime.UtcNow < deadline) await Task.Delay(50);
        return vm.State;
    }

    [Fact]
    public async Task StopPowersDownWithinTheTimeoutThenKillsAndRemovesTheRuntimeDirectory()
    {
        await using var g = await GuestVm.BootAsync("stop");
        var pid = g.Vm.ProcessId!.Value;
        var runtimeDir = Path.GetDirectoryName(g.Vm.ConsoleLogPath)!;
        var clock = Stopwatch.StartNew();
        await g.Vm.StopAsync(TimeSpan.FromSeconds(2));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "stop took " + clock.Elapsed);
        Assert.Equal(VmState.Stopped, g.Vm.State);
        Assert.False(GuestVm.ProcessAlive(pid));
        Assert.False(Directory.Exists(runtimeDir));
        await Assert.ThrowsAsync<VmStateException>(() => g.Vm.PauseAsync());
    }

    [Fact]
    public async Task CancellingABootWaitReturnsPromptlyAndKillLeavesNothing()
    {
        await using var g = GuestVm.Create("cancel");
        await g.Vm.StartAsync();
        var pid = g.Vm.ProcessId!.Value;
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => g.Vm.WaitForConsoleAsync(new Regex("never-printed"), TimeSpan.FromMinutes(5), cts.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "cancel took " + clock.Elapsed);
        await g.Vm.KillAsync();
        Assert.False(GuestVm.ProcessAlive(pid));
    }

    [Fact]
    public async Task AQemuThatFailsAtStartUpGivesItsErrorAndLeavesNothing()
    {
        var before = Directory.Exists(RuntimeDirectory.Root) ? Directory.GetDirectories(RuntimeDirectory.Root).Length : 0;
        await using var g = GuestVm.Create("badextra", p => p["extra_params"] = "-device no-such-device-model");
        var error = await Assert.ThrowsAsync<VmException>(() => g.Vm.StartAsync());
        Assert.Contains("no-such-device-model", error.Message);
        Assert.Null(g.Vm.ProcessId);
        var after = Directory.Exists(RuntimeDirectory.Root) ? Directory.GetDirectories(RuntimeDirectory.Root).Length : 0;
        Assert.True(after <= before, "a runtime directory was left behind");
    }

    [Fact]
    public async Task OperationsOutsideTheCapabilitySetAreTypedErrorsNotNoOps()
    {
        await using var g = await GuestVm.BootAsync("novga", p => p["vga"] = "none");
        Assert.False(g.Vm.Supports(VmCapability.Screendump));
        var error = await Assert.ThrowsAsync<NotSupportedByBackendException>(() => g.Vm.SaveScreenshotAsync("/tmp/never.png"));
        Assert.Equal("qemu", error.Backend);
        Assert.Equal(VmCapability.Screendump, error.Capability);
        Assert.False(File.Exists("/tmp/never.png"));
    }
}
