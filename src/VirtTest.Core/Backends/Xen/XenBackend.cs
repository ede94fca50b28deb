using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// The Xen backend: domains created and controlled with the <c>xl</c> toolstack. What a VM
/// can do depends on its guest type (<c>xen_guest_type = hvm</c> (default) or <c>pv</c>).
/// Only what is implemented through xl is declared: no screendump, keys, mouse, raw monitor
/// or events for either type (xl has no such commands), no disk-copying migration (xl
/// migrate moves memory only), no live snapshots or block jobs, PV disk hot-plug
/// (<c>xl block-attach</c>), and system reset for HVM only (<c>xl trigger reset</c>).
/// </summary>
public sealed class XenBackend : IVmBackend, IVmBackendVariants
{
    public const string BackendName = "xen";
    public const string DefaultHostPciSysfs = "/sys/bus/pci/devices";

    private static readonly VmCapability Common =
        VmCapability.PciInfo | VmCapability.PciPassthrough | VmCapability.Pause | VmCapability.Powerdown |
        VmCapability.Migration | VmCapability.SerialConsole | VmCapability.BlockInfo | VmCapability.DiskHotplug;

    private readonly IXlRunner _runner;
    private readonly string _hostPciSysfs;

    public XenBackend() : this(new XlProcessRunner()) { }

    /// <param name="runner">Runs xl (a recording fake in tests).</param>
    /// <param name="hostPciSysfs">Where the host's PCI devices are described (vendor, device, class files).</param>
    public XenBackend(IXlRunner runner, string hostPciSysfs = DefaultHostPciSysfs)
    {
        _runner = runner;
        _hostPciSysfs = hostPciSysfs;
    }

    public string Name => BackendName;

    public VmCapability Capabilities => ForGuestType(XenGuestType.Hvm) | ForGuestType(XenGuestType.Pv);

    /// <summary>The capabilities of a guest type.</summary>
    public static VmCapability ForGuestType(XenGuestType type) =>
        type == XenGuestType.Hvm ? Common | VmCapability.Reset : Common;

    public VmCapability GetCapabilities(VirtParams vmParams) => ForGuestType(XenGuestTypes.From(vmParams));

    public IReadOnlyList<(string Label, VirtParams Params)> RepresentativeParams =>
        XenGuestTypes.Choices.Select(t => ($"{BackendName} ({t})", new VirtParams(new Dictionary<string, string>
        {
            ["vm_type"] = BackendName,
            [XenGuestTypes.Param] = t,
        }))).ToList();

    public IVmDriver CreateDriver(string vmName, VirtParams vmParams)
    {
        var type = XenGuestTypes.From(vmParams, vmName);
        // Build the config once now, so bad params fail here, before anything runs.
        XenDomainConfig.Build(vmName, "validate", vmParams);
        return new XenVmDriver(vmName, vmParams, type, ForGuestType(type), _runner, _hostPciSysfs);
    }
}
