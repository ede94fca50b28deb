using System.Globalization;

namespace VirtTest.Core.Monitor;

/// <summary>One PCI function of a running VM, as its hypervisor reports it.</summary>
public sealed record PciDevice
{
    public int Bus { get; init; }
    public int Slot { get; init; }
    public int Function { get; init; }
    public int VendorId { get; init; }
    public int DeviceId { get; init; }
    /// <summary>The 16-bit class code (base class and subclass), e.g. 0x0200 for Ethernet.</summary>
    public int ClassCode { get; init; }
    /// <summary>The hypervisor's description of the class, e.g. "Ethernet controller", when it gives one.</summary>
    public string? ClassDescription { get; init; }
    /// <summary>The device's id as given when it was added (QEMU's qdev id), empty for built-in devices.</summary>
    public string QdevId { get; init; } = "";
    /// <summary>The VM the device belongs to (set by <see cref="Vm.VirtualMachine"/>).</summary>
    public string VmName { get; init; } = "";

    /// <summary>The address in the usual bus:slot.function notation, e.g. 00:03.0.</summary>
    public string Address => string.Create(CultureInfo.InvariantCulture, $"{Bus:x2}:{Slot:x2}.{Function:x}");
    /// <summary>Vendor and device id as Linux's lspci shows them, e.g. 8086:100e.</summary>
    public string VendorDevice => string.Create(CultureInfo.InvariantCulture, $"{VendorId:x4}:{DeviceId:x4}");

    public override string ToString() => $"{Address} {VendorDevice} class {ClassCode:x4}" + (QdevId.Length > 0 ? $" id={QdevId}" : "");
}
