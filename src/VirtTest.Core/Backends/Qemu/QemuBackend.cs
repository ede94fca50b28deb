using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Qemu;

/// <summary>The QEMU/KVM backend: QEMU processes driven over QMP.</summary>
public sealed class QemuBackend : IVmBackend
{
    public const string DefaultBinary = "qemu-system-x86_64";

    /// <summary>Machine types that have no hot-pluggable PCI bus.</summary>
    private static readonly string[] NoPciHotplugMachines = { "microvm", "isapc", "none" };

    public string Name => "qemu";

    public VmCapability Capabilities =>
        VmCapability.PciInfo | VmCapability.PciHotplug | VmCapability.Screendump | VmCapability.SendKey | VmCapability.Mouse |
        VmCapability.Pause | VmCapability.Reset | VmCapability.Powerdown | VmCapability.Migration | VmCapability.MigrationWithDiskCopy | VmCapability.MigrationToHost |
        VmCapability.SerialConsole | VmCapability.RawMonitor | VmCapability.Events |
        VmCapability.BridgeNetwork | VmCapability.PortForward | VmCapability.MultiQueueNic | VmCapability.NicHotplugNetwork |
        VmCapability.BlockInfo | VmCapability.DiskHotplug | VmCapability.LiveSnapshot | VmCapability.BlockJobs | VmCapability.CdromChange;

    public VmCapability GetCapabilities(VirtParams vmParams)
    {
        var caps = Capabilities;
        if (vmParams.Get("vga") == "none") caps &= ~VmCapability.Screendump;
        var machine = vmParams.Get("machine_type") ?? "pc";
        // Disks hot-plug on PCI (virtio-blk, or a controller for SCSI and USB disks).
        if (NoPciHotplugMachines.Any(m => machine.StartsWith(m, StringComparison.Ordinal))) caps &= ~(VmCapability.PciHotplug | VmCapability.DiskHotplug);
        return caps;
    }

    /// <summary>The binary's device models that plug into a PCI bus, by name (from its probe).</summary>
    public IReadOnlyList<string> GetDeviceModels(VirtParams vmParams)
    {
        try
        {
            var binary = QemuBinary.Get(vmParams.Get("qemu_binary") is { Length: > 0 } b ? b : DefaultBinary);
            return binary.Devices.Where(d => d.Bus is null || d.Bus.Contains("PCI", StringComparison.OrdinalIgnoreCase))
                .Select(d => d.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
        }
        catch (FileNotFoundException)
        {
            return Array.Empty<string>();
        }
    }

    public IVmDriver CreateDriver(string vmName, VirtParams vmParams)
    {
        var binaryName = vmParams.Get("qemu_binary") is { Length: > 0 } b ? b : DefaultBinary;
        QemuBinary binary;
        try
        {
            binary = QemuBinary.Get(binaryName);
        }
        catch (FileNotFoundException ex)
        {
            throw new VmParamException(vmName, "qemu_binary", binaryName, ex.Message.TrimEnd('.'));
        }
        QemuCommandLine.Validate(vmName, vmParams, binary);
        return new QemuVmDriver(vmName, vmParams, binary, GetCapabilities(vmParams));
    }
}
