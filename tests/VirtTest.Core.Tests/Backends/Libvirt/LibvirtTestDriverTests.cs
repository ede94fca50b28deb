using System.Text.Json.Nodes;
using VirtTest.Core.Backends.Libvirt;
using VirtTest.Core.Config;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Tests.Backends.Libvirt;

/// <summary>
/// The libvirt backend against libvirt's built-in test driver (<c>test:///default</c>: real
/// libvirt, no daemon, no guest): life cycle, cleanup, errors and what the driver cannot do.
/// </summary>
[Trait("Category", "Libvirt")]
public sealed class LibvirtTestDriverTests
{
    private const string TestUri = "test:///default";

    private static VirtParams Params(string vm, Action<VirtParams>? configure = null)
    {
        var p = new VirtParams
        {
            ["vms"] = vm, ["main_vm"] = vm, ["vm_type"] = "libvirt", ["connect_uri"] = TestUri,
            ["mem"] = "64", ["smp"] = "1", ["nics"] = "nic1", ["nic_model"] = "virtio-net-pci", ["vga"] = "std",
        };
        configure?.Invoke(p);
        return p;
    }

    /// <summary>An own connection to the test driver, to look at its domains from outside the VM.</summary>
    private static int? DomainState(LibvirtConnection conn, string name)
    {
        using var dom = conn.TryLookup(name);
        if (dom is null) return null;
        LibvirtConnection.Check(LibvirtNative.virDomainGetState(dom, out var state, out _, 0), "get state");
        return state;
    }

    private static string DomainName(VirtualMachine vm) =>
        ((LibvirtVmDriver)typeof(VirtualMachine).GetField("_driver", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(vm)!).DomainName;

    [Fact]
    public async Task StartPauseResumeStopDefinesRunsAndFinallyUndefinesTheDomain()
    {
        // The test driver's state lives as long as one connection to it is open: hold one.
        using var conn = LibvirtConnection.Open(TestUri);
        Assert.Equal("TEST", conn.DriverType);
        await using var vm = VirtualMachine.FromParams(Params("lv-life"));
        Assert.Equal("libvirt", vm.BackendName);
        var name = DomainName(vm);
        Assert.StartsWith("lv-life-", name);
        Assert.Null(DomainState(conn, name));                 // nothing defined before the start

        await vm.StartAsync();
        Assert.Equal(VmState.Running, vm.State);
        Assert.Equal(1, DomainState(conn, name));             // VIR_DOMAIN_RUNNING
        var after = vm.Monitor.LastEventSequence;

        await vm.PauseAsync();
        Assert.Equal(3, DomainState(conn, name));             // VIR_DOMAIN_PAUSED
        Assert.Equal(VmState.Paused, await vm.RefreshStateAsync());
        await vm.ResumeAsync();
        Assert.Equal(VmState.Running, await vm.RefreshStateAsync());
        // Events arrive through libvirt's event loop under QEMU's names.
        var stop = await vm.WaitForEventAsync("STOP", null, after, TimeSpan.FromSeconds(10));
        var resume = await vm.WaitForEventAsync("RESUME", null, stop.Sequence, TimeSpan.FromSeconds(10));
        Assert.True(resume.Sequence > stop.Sequence);

        await vm.StopAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(VmState.Stopped, vm.State);
        Assert.Null(DomainState(conn, name));                 // destroyed and undefined
    }

    [Fact]
    public async Task DisposingARunningVmUndefinesItsDomainAndRemovesItsRuntimeDirectory()
    {
        using var conn = LibvirtConnection.Open(TestUri);
        var vm = VirtualMachine.FromParams(Params("lv-disp"));
        var name = DomainName(vm);
        await vm.StartAsync();
        var logDir = Path.GetDirectoryName(vm.ConsoleLogPath)!;
        Assert.True(Directory.Exists(logDir));
        await vm.DisposeAsync();
        Assert.Null(DomainState(conn, name));
        Assert.False(Directory.Exists(logDir));
    }

    [Fact]
    public async Task StartCanLeaveTheVmPausedAndPowerdownShutsItOff()
    {
        using var conn = LibvirtConnection.Open(TestUri);
        await using var vm = VirtualMachine.FromParams(Params("lv-pwr"));
        var name = DomainName(vm);
        await vm.StartAsync(paused: true);
        Assert.Equal(VmState.Paused, vm.State);
        Assert.Equal(3, DomainState(conn, name));
        await vm.ResumeAsync();
        await vm.SystemPowerdownAsync();
        // The test driver shuts off at once, as a guest that powered off: Stopped (not Dead), nothing stays defined.
        Assert.Equal(VmState.Stopped, await vm.RefreshStateAsync());
        Assert.Contains("the guest powered off", vm.DeathReason);
        Assert.Null(DomainState(conn, name));
    }

    [Fact]
    public async Task ScreenshotIsAValidPng()
    {
        await using var vm = VirtualMachine.FromParams(Params("lv-shot"));
        await vm.StartAsync();
        var file = Path.Combine(Path.GetTempPath(), "virttest-lv-" + Guid.NewGuid().ToString("N") + ".png");
        try
        {
            await vm.SaveScreenshotAsync(file);
            var bytes = await File.ReadAllBytesAsync(file);
            PngAssert.Valid(bytes, out var width, out var height);
            Assert.True(width > 0 && height > 0);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task UnreachableUriFailsWithLibvirtsErrorAndLeavesNothing()
    {
        var socket = Path.Combine(Path.GetTempPath(), "virttest-no-such-libvirt.sock");
        await using var vm = VirtualMachine.FromParams(Params("lv-unreach", p => p["connect_uri"] = "qemu:///system?socket=" + socket));
        var error = await Assert.ThrowsAsync<LibvirtException>(() => vm.StartAsync());
        Assert.Contains(socket, error.Message);               // libvirt's own text names the socket
        Assert.Contains("open connection qemu:///system", error.Message);
        Assert.True(error.Code > 0, "libvirt's error code: " + error.Code);
        Assert.Equal(VmState.Created, vm.State);
        Assert.Null(vm.ConsoleLogPath is { } log && Directory.Exists(Path.GetDirectoryName(log)) ? log : null);
    }

    [Fact]
    public async Task ADomainNameThatExistsIsRefusedByLibvirtAndTheExistingDomainIsKept()
    {
        using var conn = LibvirtConnection.Open(TestUri);
        await using var first = VirtualMachine.FromParams(Params("lv-dup", p => p["libvirt_domain_name"] = "virttest-dup"));
        await first.StartAsync();
        await using var second = VirtualMachine.FromParams(Params("lv-dup2", p => p["libvirt_domain_name"] = "virttest-dup"));
        var error = await Assert.ThrowsAsync<LibvirtException>(() => second.StartAsync());
        Assert.Contains("already exists", error.LibvirtMessage);
        Assert.Contains("virttest-dup", error.Message);
        Assert.Equal(1, DomainState(conn, "virttest-dup"));   // the failed start did not touch the first VM's domain
        await first.StopAsync(TimeSpan.Zero);
        Assert.Null(DomainState(conn, "virttest-dup"));
    }

    [Fact]
    public async Task XmlThatLibvirtRejectsFailsWithLibvirtsMessage()
    {
        // A disk format VirtTest passes on unchecked (qemu-img knows more than any list here);
        // libvirt refuses it when the domain is defined. (MACs, queues and models are checked
        // by VirtTest before: they fail at creation with the param's name.)
        var image = Path.Combine(Path.GetTempPath(), $"virttest-badxml-{Guid.NewGuid():N}.no-such-format");
        File.WriteAllBytes(image, new byte[512]);
        try
        {
            await using var vm = VirtualMachine.FromParams(Params("lv-badxml", p =>
            {
                p["images"] = "disk1";
                p["image_filename"] = image;
                p["image_format"] = "no-such-format";
            }));
            var error = await Assert.ThrowsAsync<LibvirtException>(() => vm.StartAsync());
            Assert.Contains("no-such-format", error.LibvirtMessage);
            Assert.Contains("define domain", error.Operation);
            Assert.Equal(67, error.Code);                     // VIR_ERR_CONFIG_UNSUPPORTED
            Assert.Equal(VmState.Created, vm.State);
        }
        finally
        {
            File.Delete(image);
        }
    }

    [Fact]
    public void ParamsTheBackendCannotMapFailAtCreationNamingTheParam()
    {
        var nic = Assert.Throws<VmParamException>(() => VirtualMachine.FromParams(Params("lv-bad", p => p["nic_model"] = "tulip")));
        Assert.Equal("nic_model", nic.Param);
        Assert.Contains("e1000", nic.ValidChoices);
        var kernel = Assert.Throws<VmParamException>(() => VirtualMachine.FromParams(Params("lv-bad", p => p["kernel"] = "/no/such/kernel")));
        Assert.Equal("kernel", kernel.Param);
        var display = Assert.Throws<VmParamException>(() => VirtualMachine.FromParams(Params("lv-bad", p => p["display"] = "sdl")));
        Assert.Equal("display", display.Param);
    }

    [Fact]
    public async Task TheTestDriverLacksTheQemuOnlyCapabilitiesAndSaysSo()
    {
        await using var vm = VirtualMachine.FromParams(Params("lv-caps"));
        Assert.False(vm.Supports(VmCapability.PciHotplug));
        Assert.False(vm.Supports(VmCapability.RawMonitor));
        Assert.False(vm.Supports(VmCapability.Migration));
        Assert.True(vm.Supports(VmCapability.Pause));
        await vm.StartAsync();
        var e = await Assert.ThrowsAsync<NotSupportedByBackendException>(() => vm.AddPciDeviceAsync(new PciDeviceSpec("e1000"), TimeSpan.FromSeconds(5)));
        Assert.Equal(VmCapability.PciHotplug, e.Capability);
        await Assert.ThrowsAsync<NotSupportedByBackendException>(() => vm.InvokeMonitorAsync("query-status", null, TimeSpan.FromSeconds(5)));
        await Assert.ThrowsAsync<NotSupportedByBackendException>(() => vm.OpenSerialConsoleAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void CapabilitiesFollowTheUriScheme()
    {
        var backend = BackendRegistry.Get("libvirt");
        Assert.IsType<LibvirtBackend>(backend);
        var qemu = backend.GetCapabilities(Params("x", p => p["connect_uri"] = "qemu+ssh://host.example/system"));
        Assert.True(qemu.HasFlag(VmCapability.PciHotplug | VmCapability.RawMonitor | VmCapability.SerialConsole));
        Assert.False(qemu.HasFlag(VmCapability.Migration));   // no destination libvirt given
        Assert.True(backend.GetCapabilities(Params("x", p => { p["connect_uri"] = "qemu:///system"; p["migration_dest_uri"] = "qemu+ssh://other/system"; }))
            .HasFlag(VmCapability.Migration));
        Assert.False(qemu.HasFlag(VmCapability.MigrationWithDiskCopy));
        // With a destination libvirt the disks can move too (VIR_MIGRATE_NON_SHARED_DISK); disks and block jobs need the QEMU driver.
        Assert.True(backend.GetCapabilities(Params("x", p => { p["connect_uri"] = "qemu:///system"; p["migration_dest_uri"] = "qemu+ssh://other/system"; }))
            .HasFlag(VmCapability.MigrationWithDiskCopy));
        Assert.True(qemu.HasFlag(VmCapability.DiskHotplug | VmCapability.BlockInfo | VmCapability.BlockJobs | VmCapability.LiveSnapshot));
        var test = backend.GetCapabilities(Params("x"));
        Assert.False(test.HasFlag(VmCapability.DiskHotplug) || test.HasFlag(VmCapability.BlockJobs));
        Assert.False(test.HasFlag(VmCapability.PciInfo));
        Assert.True(test.HasFlag(VmCapability.Pause | VmCapability.Screendump | VmCapability.Events));
        Assert.False(backend.GetCapabilities(Params("x", p => p["vga"] = "none")).HasFlag(VmCapability.Screendump));
        var other = backend.GetCapabilities(Params("x", p => p["connect_uri"] = "lxc:///system"));
        Assert.Equal(VmCapability.Pause | VmCapability.Powerdown | VmCapability.Events, other);
        Assert.Equal(LibvirtBackend.DefaultUri, LibvirtBackend.UriOf(new VirtParams()));
    }
}
