using VirtTest.Core.Session;
using VirtTest.Core.Tests.Backends.Libvirt;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Tests.RealGuest;

/// <summary>
/// The Debian guest on a private libvirtd (QEMU driver, TCG), from the same example config:
/// the domain boots from the disk image, serial login through the console stream, systemd's
/// state, a hot-plugged disk with a file system through a snapshot, commit and mirror, and
/// poweroff from inside (reboots: examples/realguest). One boot for the whole check.
/// </summary>
[Collection("LibvirtGuest")]
[Trait("Category", "Guest")]
[Trait("Category", "Libvirt")]
[Trait("Category", "RealGuest")]
public sealed class RealGuestLibvirtTests
{
    private readonly LibvirtDaemon _daemon;

    public RealGuestLibvirtTests(LibvirtDaemon daemon) => _daemon = daemon;

    [Fact]
    public async Task BootsFromTheDiskLogsInOverSerialHotPlugsAFileSystemDiskAndPowersOffFromInsideToStopped()
    {
        const string name = "rg-lv";
        var p = DebianGuest.Params(name, $"vm_type = libvirt\nconnect_uri = {_daemon.Uri}");
        await using var vm = await DebianGuest.BootAsync(p, name);
        var options = SessionOptions.FromParams(vm.Params, SessionTransport.Serial, timeout: DebianGuest.BootTimeout);
        await using (var s = await GuestLogin.WaitForLoginAsync(vm, options))
        {
            Assert.Equal("running", await DebianGuest.RunAsync(s, "systemctl is-system-running --wait"));
            Assert.Contains("BOOT_IMAGE=/vmlinuz", await DebianGuest.RunAsync(s, "cat /proc/cmdline"));
            Assert.Equal("/dev/vda1", await DebianGuest.RunAsync(s, "findmnt -no SOURCE /"));
            Assert.Contains("inet ", await DebianGuest.RunAsync(s, "ip -4 -o addr show scope global"));
            // Storage where a file system matters: hot-plug, snapshot, commit, mirror, data read back.
            await RealGuestDiskCheck.RunAsync(vm, s);
            // Reboots run in examples/realguest on libvirt too (Restart-VirtVm): not repeated here.
            await s.SendLineAsync("poweroff");
        }
        // The guest powered itself off: Stopped (not Dead).
        Assert.Equal(VmState.Stopped, await vm.WaitForStateAsync(new[] { VmState.Stopped, VmState.Dead }, DebianGuest.BootTimeout));
        Assert.Contains("guest powered off", vm.DeathReason);
    }
}
