using System.Text.RegularExpressions;
using VirtTest.Core.Backends.Libvirt;
using VirtTest.Core.Config;
using VirtTest.Core.Monitor;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Tests.Backends.Libvirt;

/// <summary>
/// The libvirt backend against a real, private libvirtd with the QEMU driver (TCG), booting
/// the project's test guest: console stream, PCI list and hot-plug checked from inside the
/// guest, screenshot, pause/resume, raw monitor, and nothing left defined.
/// </summary>
[Collection("LibvirtGuest")]
[Trait("Category", "Guest")]
[Trait("Category", "Libvirt")]
public sealed class LibvirtGuestTests
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(30);
    private readonly LibvirtDaemon _daemon;

    public LibvirtGuestTests(LibvirtDaemon daemon) => _daemon = daemon;

    private async Task<(VirtualMachine Vm, TestGuest Guest)> BootAsync(string name)
    {
        var guest = TestGuest.Locate();
        var p = guest.CreateParams(name);
        p["vm_type"] = "libvirt";
        p["connect_uri"] = _daemon.Uri;
        var vm = VirtualMachine.FromParams(p, name);
        try
        {
            await vm.StartAsync();
            await vm.WaitForConsoleAsync(new Regex(Regex.Escape(guest.ReadyLine)), Boot);
            return (vm, guest);
        }
        catch
        {
            await vm.DisposeAsync();
            throw;
        }
    }

    private static async Task<string> RunAsync(SerialSession s, string command)
    {
        var r = await s.CmdStatusOutputAsync(command, Short);
        Assert.True(r.ExitCode == 0, $"'{command}' exited with {r.ExitCode}: {r.Output}");
        return r.Output.Trim();
    }

    private static async Task<string> WaitForGuestAsync(SerialSession s, string command, Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var output = (await s.CmdOutputAsync(command, Short)).Trim();
            if (done(output) || DateTime.UtcNow > deadline) return output;
            await Task.Delay(200);
        }
    }

    [Theory]
    [InlineData("virtio-net-pci")]
    [InlineData("e1000")]
    public async Task HotPluggedNicShowsUpInTheMonitorAndInTheGuestAndGoesAwayAgain(string model)
    {
        var (vm, guest) = await BootAsync("lvhp-" + model.Replace("-", ""));
        await using var _ = vm;
        await using var console = await SerialSession.ConnectAsync(vm, new Regex(guest.ShellPrompt), Short);
        await console.WaitForPromptAsync(Short);

        var guestBefore = int.Parse(await RunAsync(console, "ls /sys/bus/pci/devices | wc -l"));
        var before = await vm.GetPciDevicesAsync();
        Assert.Equal(guestBefore, before.Count);
        Assert.Contains(before, d => d.QdevId == "nic1" && d.ClassCode == 0x0200);   // the params' NIC, by its name

        var after0 = vm.Monitor.LastEventSequence;
        var added = await vm.AddPciDeviceAsync(new PciDeviceSpec(model, "hotnic"), Short);
        Assert.Equal("hotnic", added.QdevId);
        Assert.Equal(0x0200, added.ClassCode);
        Assert.Equal(before.Count + 1, (await vm.GetPciDevicesAsync()).Count);

        var vendorDevice = await WaitForGuestAsync(console,
            $"cat /sys/bus/pci/devices/0000:{added.Address}/vendor /sys/bus/pci/devices/0000:{added.Address}/device 2>/dev/null | tr '\\n' ' '",
            s => s.Length > 0);
        Assert.Equal($"0x{added.VendorId:x4} 0x{added.DeviceId:x4}", vendorDevice);

        await vm.RemovePciDeviceAsync("hotnic", Short);
        Assert.Equal(before.Count, (await vm.GetPciDevicesAsync()).Count);
        Assert.Equal(guestBefore.ToString(), await WaitForGuestAsync(console, "ls /sys/bus/pci/devices | wc -l", s => s == guestBefore.ToString()));
        var deleted = await vm.WaitForEventAsync("DEVICE_DELETED", e => e.GetString("device") == "hotnic", after0, Short);
        Assert.Equal("hotnic", deleted.GetString("device"));

        var unknown = await Assert.ThrowsAsync<MonitorException>(() => vm.RemovePciDeviceAsync("no-such-dev", Short));
        Assert.Contains("no-such-dev", unknown.Message);
    }

    [Fact]
    public async Task ConsoleScreenshotPauseMonitorAndStopOnARealGuest()
    {
        var (vm, guest) = await BootAsync("lv-life");
        string domainName;
        await using (vm)
        {
            domainName = DomainNameOf(vm);
            // The console stream: a command's output comes back through libvirt.
            await using (var console = await SerialSession.ConnectAsync(vm, new Regex(guest.ShellPrompt), Short))
            {
                await console.WaitForPromptAsync(Short);
                Assert.Equal("virttest-guest", await RunAsync(console, "hostname"));
            }
            // A second console after the first was closed: Dispose released the stream.
            await using (var again = await SerialSession.ConnectAsync(vm, new Regex(guest.ShellPrompt), Short))
            {
                await again.WaitForPromptAsync(Short);
                Assert.Equal("42", await RunAsync(again, "echo $((40+2))"));
            }

            var png = Path.Combine(Path.GetTempPath(), "virttest-lvshot-" + Guid.NewGuid().ToString("N") + ".png");
            try
            {
                await vm.SaveScreenshotAsync(png);
                PngAssert.Valid(await File.ReadAllBytesAsync(png), out var w, out var h);
                Assert.True(w >= 320 && h >= 200, $"{w}x{h}");
            }
            finally
            {
                File.Delete(png);
            }

            var after = vm.Monitor.LastEventSequence;
            await vm.PauseAsync();
            var status = await vm.InvokeMonitorAsync("query-status", null, Short);
            Assert.Equal("paused", status?["status"]?.GetValue<string>());
            await vm.WaitForEventAsync("STOP", null, after, Short);
            await vm.ResumeAsync();
            Assert.Equal(VmState.Running, await vm.RefreshStateAsync());
            Assert.Contains("running", await vm.InvokeHumanMonitorAsync("info status", Short));
            var bad = await Assert.ThrowsAsync<MonitorCommandException>(() => vm.InvokeMonitorAsync("no-such-command", null, Short));
            Assert.Equal("CommandNotFound", bad.ErrorClass);

            await vm.StopAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(VmState.Stopped, vm.State);
        }
        using var conn = LibvirtConnection.Open(_daemon.Uri);
        Assert.Null(conn.TryLookup(domainName));
    }

    [Fact]
    public async Task AGuestThatPowersOffIsStoppedAndUndefined()
    {
        var (vm, guest) = await BootAsync("lv-off");
        await using var _ = vm;
        var name = DomainNameOf(vm);
        await using (var console = await SerialSession.ConnectAsync(vm, new Regex(guest.ShellPrompt), Short))
        {
            await console.WaitForPromptAsync(Short);
            // A full command round trip first: the pty replays the boot prompt, so the prompt
            // alone does not prove the shell reads input yet.
            Assert.Equal("ready", await RunAsync(console, "echo ready"));
            await console.SendAsync("poweroff -f\n");
        }
        var deadline = DateTime.UtcNow + Short;
        // The guest powered itself off: Stopped (a crash or a kill would be Dead).
        while (await vm.RefreshStateAsync() is not (VmState.Stopped or VmState.Dead) && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.Equal(VmState.Stopped, vm.State);
        Assert.Contains("guest powered off", vm.DeathReason);
        using var conn = LibvirtConnection.Open(_daemon.Uri);
        Assert.Null(conn.TryLookup(name));
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("unix")]
    public async Task LiveMigrationToASecondDaemonKeepsTheGuestRunningAndLeavesNothingOnTheSource(string protocol)
    {
        var destination = new LibvirtDaemon();
        await destination.InitializeAsync();
        try
        {
            var guest = TestGuest.Locate();
            var p = guest.CreateParams("lv-mig");
            p["vm_type"] = "libvirt";
            p["connect_uri"] = _daemon.Uri;
            p["migration_dest_uri"] = destination.Uri;
            await using var vm = VirtualMachine.FromParams(p, "lv-mig");
            await vm.StartAsync();
            await vm.WaitForConsoleAsync(new Regex(Regex.Escape(guest.ReadyLine)), Boot);
            var name = DomainNameOf(vm);
            await using (var console = await SerialSession.ConnectAsync(vm, new Regex(guest.ShellPrompt), Short))
            {
                await console.WaitForPromptAsync(Short);
                await RunAsync(console, "echo before-migration > /tmp/mark");
            }

            var progress = new List<MigrationProgress>();
            await vm.MigrateAsync(new MigrationOptions { Protocol = protocol, Timeout = TimeSpan.FromMinutes(2) }, new SyncProgress<MigrationProgress>(progress.Add));
            Assert.Equal("completed", progress.Last().Status);
            Assert.Equal(1, vm.MigrationCount);
            Assert.Equal(VmState.Running, await vm.RefreshStateAsync());

            using (var src = LibvirtConnection.Open(_daemon.Uri)) Assert.Null(src.TryLookup(name));
            using (var dst = LibvirtConnection.Open(destination.Uri)) Assert.NotNull(dst.TryLookup(name));
            // The guest's memory came along: the file written before is still there.
            await using (var console = await SerialSession.ConnectAsync(vm, new Regex(guest.ShellPrompt), Short))
            {
                await console.WaitForPromptAsync(Short);
                Assert.Equal("before-migration", await RunAsync(console, "cat /tmp/mark"));
            }
            await vm.StopAsync(TimeSpan.FromSeconds(30));
            using (var dst = LibvirtConnection.Open(destination.Uri)) Assert.Null(dst.TryLookup(name));
        }
        finally
        {
            await destination.DisposeAsync();
        }
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private static string DomainNameOf(VirtualMachine vm) =>
        ((LibvirtVmDriver)typeof(VirtualMachine).GetField("_driver", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(vm)!).DomainName;
}
