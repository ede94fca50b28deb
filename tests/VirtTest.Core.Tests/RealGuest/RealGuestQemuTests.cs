using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Tests.RealGuest;

/// <summary>One boot of the Debian guest on QEMU, shared by the tests of <see cref="RealGuestQemuTests"/>.</summary>
public sealed class DebianQemuBoot : IAsyncLifetime
{
    public const string Name = "rg-qemu";
    public VirtualMachine Vm { get; private set; } = null!;
    public string Log { get; } = Path.Combine(Path.GetTempPath(), $"virttest-rg-{Guid.NewGuid():N}.log");

    public async Task InitializeAsync() => Vm = await DebianGuest.BootAsync(DebianGuest.Params(Name), Name);

    public async Task DisposeAsync()
    {
        if (Vm is not null) await Vm.DisposeAsync();
        File.Delete(Log);
    }
}

/// <summary>
/// The real distribution on QEMU, booted once from its disk image (no kernel params): serial
/// login through getty's and login's prompts into bash (colour prompt, bracketed paste), SSH to
/// OpenSSH, systemd's state, a hot-plugged disk with a file system through a snapshot, commit
/// and mirror, then poweroff from inside the guest (reboots: examples/realguest).
/// </summary>
[Collection("Guest")]
[Trait("Category", "Guest")]
[Trait("Category", "RealGuest")]
[TestCaseOrderer(StepOrderer.TypeName, StepOrderer.AssemblyName)]
public sealed class RealGuestQemuTests : IClassFixture<DebianQemuBoot>
{
    private readonly DebianQemuBoot _boot;

    public RealGuestQemuTests(DebianQemuBoot boot) => _boot = boot;

    private VirtualMachine Vm => _boot.Vm;

    private async Task<GuestSession> LoginAsync(SessionTransport transport, string? user = null, string? password = null, string? log = null)
    {
        var options = SessionOptions.FromParams(Vm.Params, transport, user, password, DebianGuest.BootTimeout);
        if (log is not null) options = new SessionOptions
        {
            Transport = options.Transport, UserName = options.UserName, Password = options.Password, ShellPrompt = options.ShellPrompt,
            Timeout = options.Timeout, ShellPort = options.ShellPort, LogPath = log,
        };
        return await GuestLogin.WaitForLoginAsync(Vm, options);
    }

    /// <summary>Logs out of a serial session (getty prompts again), so the next test logs in afresh.</summary>
    private static async Task LogoutAsync(GuestSession s)
    {
        if (s.IsOpen) await s.SendLineAsync("exit");
        await s.DisposeAsync();
    }

    [Fact, Step(Order = 1)]
    public async Task SerialLoginAsRootReachesBashOnTheSystemBootedFromTheDisk()
    {
        var s = await LoginAsync(SessionTransport.Serial, log: _boot.Log);
        try
        {
            await CheckRootShellAsync(s);
        }
        finally
        {
            await LogoutAsync(s);
        }
        var log = await File.ReadAllTextAsync(_boot.Log);
        Assert.DoesNotContain(DebianGuest.RootPassword, log);
    }

    private static async Task CheckRootShellAsync(GuestSession s)
    {
        Assert.Equal("root", await DebianGuest.RunAsync(s, "id -un"));
        // systemd finished starting and no unit failed.
        Assert.Equal("running", await DebianGuest.RunAsync(s, "systemctl is-system-running --wait"));
        // Booted by GRUB from the disk, root file system on its first partition.
        Assert.Contains("BOOT_IMAGE=/vmlinuz", await DebianGuest.RunAsync(s, "cat /proc/cmdline"));
        Assert.Equal("/dev/vda1", await DebianGuest.RunAsync(s, "findmnt -no SOURCE /"));
        Assert.Contains("VERSION_ID=\"12\"", await DebianGuest.RunAsync(s, "cat /etc/os-release"));
        // Output is clean: no escape sequences, no \r, exit statuses are the shell's.
        var r = await s.CmdStatusOutputAsync("printf 'a\\tb\\n'; ls /no/such", DebianGuest.Short);
        Assert.NotEqual(0, r.ExitCode);
        Assert.StartsWith("a\tb\n", r.Output);
        Assert.False(r.Output.Contains('\x1b', StringComparison.Ordinal), "escape sequence in " + r.Output);
        Assert.False(r.Output.Contains('\r', StringComparison.Ordinal), "carriage return in " + r.Output);
        // The prompt really carries colour and bracketed paste sequences (cleaned above).
        Assert.Contains("on", await DebianGuest.RunAsync(s, "bind -v | grep enable-bracketed-paste"));
        Assert.Contains("\\[\\033[01;32m\\]", await DebianGuest.RunAsync(s, "echo \"$PS1\""));
    }

    [Fact, Step(Order = 2)]
    public async Task SerialLoginAsTheNormalUserAndAWrongPasswordIsRefused()
    {
        const string wrong = "Wr0ng-Debian-Pw";
        // A session from a login that wrongly succeeded would hold the serial console: log it out.
        var error = await Assert.ThrowsAsync<SessionAuthenticationException>(async () => await LogoutAsync(await LoginAsync(SessionTransport.Serial, DebianGuest.UserName, wrong, _boot.Log)));
        Assert.Contains("incorrect", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(wrong, error.Message);

        var s = await LoginAsync(SessionTransport.Serial, DebianGuest.UserName, DebianGuest.UserPassword, _boot.Log);
        try
        {
            Assert.Equal(DebianGuest.UserName, await DebianGuest.RunAsync(s, "id -un"));
            Assert.Equal("/home/vtuser", await DebianGuest.RunAsync(s, "pwd"));
        }
        finally
        {
            await LogoutAsync(s);
        }
        var log = await File.ReadAllTextAsync(_boot.Log);
        Assert.DoesNotContain(wrong, log);
        Assert.DoesNotContain(DebianGuest.UserPassword, log);
    }

    [Fact, Step(Order = 3)]
    public async Task SshLoginToOpenSshAsRootAndAsTheUser()
    {
        await using (var root = await LoginAsync(SessionTransport.Ssh))
        {
            Assert.Equal(SessionTransport.Ssh, root.Transport);
            Assert.Equal("running", await DebianGuest.RunAsync(root, "systemctl is-system-running"));
            Assert.Equal("active", await DebianGuest.RunAsync(root, "systemctl is-active ssh"));
            // DHCP on the first NIC (systemd-networkd, whatever the interface is called).
            Assert.Contains("10.0.2.15", await DebianGuest.RunAsync(root, "ip -4 -o addr show scope global"));
        }
        await using var user = await LoginAsync(SessionTransport.Ssh, DebianGuest.UserName, DebianGuest.UserPassword);
        Assert.Equal(DebianGuest.UserName, await DebianGuest.RunAsync(user, "id -un"));
    }

    [Fact, Step(Order = 4)]
    public async Task AHotPluggedDiskGetsAFileSystemWhoseFilesSurviveASnapshotCommitAndMirror()
    {
        await using var root = await LoginAsync(SessionTransport.Ssh);
        await RealGuestDiskCheck.RunAsync(Vm, root);
    }

    // Reboots from inside and by reset run in examples/realguest (reboot.ps1) on QEMU and libvirt,
    // through Restart-VirtVm: not repeated here (each costs a boot under TCG).
    [Fact, Step(Order = 5)]
    public async Task PoweroffFromInsideStopsTheVmAndReleasesEverything()
    {
        var runtimeDirectory = Path.GetDirectoryName(Vm.ConsoleLogPath)!;
        await using (var s = await LoginAsync(SessionTransport.Serial))
        {
            await s.SendLineAsync("poweroff");
        }
        // The guest powered itself off: Stopped (not Dead), everything released.
        Assert.Equal(VmState.Stopped, await Vm.WaitForStateAsync(new[] { VmState.Stopped, VmState.Dead }, DebianGuest.BootTimeout));
        Assert.Contains("guest powered off", Vm.DeathReason);
        Assert.False(Directory.Exists(runtimeDirectory), runtimeDirectory + " is left");
    }
}
