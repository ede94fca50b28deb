using VirtTest.Core.Backends.Xen;
using VirtTest.Core.Config;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Backends.Xen;

/// <summary>The Xen backend's capability sets per guest type and their enforcement. No Xen host is used.</summary>
public sealed class XenWithoutHypervisor_CapabilityTests
{
    private static VirtParams P(params (string Key, string Value)[] items) =>
        new(items.Select(i => new KeyValuePair<string, string>(i.Key, i.Value)));

    [Fact]
    public void XenIsRegisteredAsVmTypeXen()
    {
        Assert.Contains("xen", BackendRegistry.Names);
        Assert.IsType<XenBackend>(BackendRegistry.ForParams(P(("vm_type", "xen"))));
    }

    [Theory]
    [InlineData("virtio-net-pci", "PciHotplug")]
    [InlineData("e1000", "PciHotplug")]
    public async Task HotPlugOfAnEmulatedDeviceIsNotSupportedOnXenEvenBeforeTheVmRuns(string model, string capability)
    {
        await using var vm = VirtualMachine.FromParams(P(("vms", "x1"), ("vm_type", "xen"), ("xen_guest_type", "hvm")));
        var ex = await Assert.ThrowsAsync<NotSupportedByBackendException>(() => vm.AddPciDeviceAsync(new Monitor.PciDeviceSpec(model), TimeSpan.FromSeconds(1)));
        Assert.Contains(capability, ex.Message);
        Assert.Contains("xen", ex.Message);
    }

    [Fact]
    public void PvAndHvmDifferOnlyInResetAndNeitherClaimsWhatXlCannotDo()
    {
        var backend = new XenBackend(new RecordingXlRunner());
        var pv = backend.GetCapabilities(P(("xen_guest_type", "pv")));
        var hvm = backend.GetCapabilities(P(("xen_guest_type", "hvm")));
        Assert.Equal(hvm, backend.GetCapabilities(P())); // hvm is the default
        foreach (var caps in new[] { pv, hvm })
        {
            Assert.True(caps.HasFlag(VmCapability.PciPassthrough | VmCapability.PciInfo | VmCapability.Pause | VmCapability.Migration | VmCapability.SerialConsole | VmCapability.Powerdown));
            foreach (var absent in new[] { VmCapability.PciHotplug, VmCapability.Screendump, VmCapability.SendKey, VmCapability.Mouse, VmCapability.MigrationWithDiskCopy, VmCapability.RawMonitor, VmCapability.Events })
                Assert.False(caps.HasFlag(absent), $"{absent} should be absent");
        }
        Assert.True(hvm.HasFlag(VmCapability.Reset));
        Assert.False(pv.HasFlag(VmCapability.Reset));
        Assert.Equal(hvm | pv, backend.Capabilities);
    }

    [Fact]
    public void PvhIsPvWithoutPciPassthrough()
    {
        var backend = new XenBackend(new RecordingXlRunner());
        var pv = backend.GetCapabilities(P(("xen_guest_type", "pv")));
        var pvh = backend.GetCapabilities(P(("xen_guest_type", "pvh")));
        Assert.Equal(pv & ~VmCapability.PciPassthrough, pvh);
        Assert.False(pvh.HasFlag(VmCapability.Reset));
    }

    [Fact]
    public void UnknownGuestTypeIsAParamErrorNamingTheVm()
    {
        var ex = Assert.Throws<VmParamException>(() => CapabilityQuery.ForParams(P(("vms", "guest1"), ("vm_type", "xen"), ("xen_guest_type", "pvhvm"))));
        Assert.Equal("guest1", ex.VmName);
        Assert.Equal("xen_guest_type", ex.Param);
        Assert.Contains("VM 'guest1'", ex.Message);
        Assert.Contains("hvm, pv, pvh", ex.Message);
    }

    [Fact]
    public async Task UnsupportedOperationsOnAXenVmAreNotSupportedByBackendErrors()
    {
        // The real backend (xl is not installed here): the capability check comes first.
        await using var vm = VirtualMachine.FromParams(P(("vms", "vm1"), ("vm_type", "xen"), ("xen_guest_type", "pv"), ("xen_bootloader", "pygrub")));
        var shot = await Assert.ThrowsAsync<NotSupportedByBackendException>(() => vm.SaveScreenshotAsync("/tmp/never.png"));
        Assert.Equal("xen", shot.Backend);
        Assert.Equal(VmCapability.Screendump, shot.Capability);
        Assert.Equal(VmCapability.Reset, (await Assert.ThrowsAsync<NotSupportedByBackendException>(() => vm.SystemResetAsync())).Capability);
        Assert.Equal(VmCapability.SendKey, (await Assert.ThrowsAsync<NotSupportedByBackendException>(() => vm.SendKeysAsync(new[] { "a" }))).Capability);
        Assert.Equal(VmCapability.MigrationWithDiskCopy,
            (await Assert.ThrowsAsync<NotSupportedByBackendException>(() => vm.MigrateAsync(new Monitor.MigrationOptions { CopyStorage = true }))).Capability);
        // Migration between hosts through a waiting destination is QEMU's (xl migrate drives both ends itself).
        Assert.Equal(VmCapability.MigrationToHost, (await Assert.ThrowsAsync<NotSupportedByBackendException>(() => vm.StartIncomingMigrationAsync("tcp:127.0.0.1:4444"))).Capability);
        Assert.Equal(VmCapability.MigrationToHost, (await Assert.ThrowsAsync<NotSupportedByBackendException>(() => vm.SendMigrationAsync("tcp:127.0.0.1:4444", TimeSpan.FromSeconds(5)))).Capability);
    }
}
