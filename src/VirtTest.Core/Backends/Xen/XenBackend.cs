using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// The Xen backend: domains created and controlled with the <c>xl</c> toolstack, on this
/// machine (a dom0) or on the Xen host of param <c>xen_host</c> over SSH (one connection per
/// host, shared by its VMs). What a VM can do depends on its guest type
/// (<c>xen_guest_type = hvm</c> (default), <c>pv</c> or <c>pvh</c>).
/// Only what is implemented through xl is declared: no screendump, keys, mouse, raw monitor
/// or events for either type (xl has no such commands), no disk-copying migration (xl
/// migrate moves memory only), no live snapshots or block jobs, PV disk hot-plug
/// (<c>xl block-attach</c>), and system reset for HVM only (<c>xl trigger reset</c>).
/// </summary>
public sealed class XenBackend : IVmBackend, IVmBackendVariants
{
    public const string BackendName = "xen";
    public const string DefaultHostPciSysfs = "/sys/bus/pci/devices";
    /// <summary>The guest types whose life cycle the tests run against a real Xen hypervisor (the nested lab).</summary>
    public static readonly IReadOnlyList<string> VerifiedGuestTypes = new[] { "pv", "pvh" };

    private static readonly VmCapability Common =
        VmCapability.PciInfo | VmCapability.PciPassthrough | VmCapability.Pause | VmCapability.Powerdown |
        VmCapability.Migration | VmCapability.SerialConsole | VmCapability.BridgeNetwork | VmCapability.BlockInfo | VmCapability.DiskHotplug;

    private readonly IXlRunner? _runner;
    private readonly IXlRunner _localRunner = new XlProcessRunner();
    private readonly string _hostPciSysfs;
    private readonly XenHostPool _hosts = new();

    /// <summary>xl on this machine, or on the VM's <c>xen_host</c> over SSH.</summary>
    public XenBackend() : this(null) { }

    /// <param name="runner">Runs xl for every VM, whatever its params say (a recording fake in tests); null: xl here, or on xen_host.</param>
    /// <param name="hostPciSysfs">Where the host's PCI devices are described (vendor, device, class files).</param>
    public XenBackend(IXlRunner? runner, string hostPciSysfs = DefaultHostPciSysfs)
    {
        _runner = runner;
        _hostPciSysfs = hostPciSysfs;
    }

    /// <summary>The runner of a VM with these params, held until the VM is disposed.</summary>
    internal XlRunnerLease Lease(VirtParams vmParams, string vmName)
    {
        if (_runner is not null) return new XlRunnerLease(_runner, null);
        return XenHostTarget.FromParams(vmParams, vmName) is { } target ? _hosts.Acquire(target) : new XlRunnerLease(_localRunner, null);
    }

    public string Name => BackendName;

    public VmCapability Capabilities => ForGuestType(XenGuestType.Hvm) | ForGuestType(XenGuestType.Pv) | ForGuestType(XenGuestType.Pvh);

    /// <summary>The capabilities of a guest type.</summary>
    /// <remarks>PVH: no PCI passthrough (Xen 4.17 passes PCI devices to PV and HVM guests only).</remarks>
    public static VmCapability ForGuestType(XenGuestType type) => type switch
    {
        XenGuestType.Hvm => Common | VmCapability.Reset,
        XenGuestType.Pvh => Common & ~VmCapability.PciPassthrough,
        _ => Common,
    };

    public VmCapability GetCapabilities(VirtParams vmParams)
    {
        // On a host reached over SSH, xl block-attach opens the host's file: Add-VirtDisk's path
        // is then a path on that host (as with libvirt's remote URIs).
        return ForGuestType(XenGuestTypes.From(vmParams));
    }

    /// <summary>
    /// The capability table's columns, one per guest type, saying which were verified against a
    /// real hypervisor (Xen 4.17 nested in QEMU, tests tagged Xen): PV and PVH; HVM was not.
    /// </summary>
    public IReadOnlyList<(string Label, VirtParams Params)> RepresentativeParams =>
        XenGuestTypes.Choices.Select(t => ($"{BackendName} ({t}{(VerifiedGuestTypes.Contains(t) ? ", verified on Xen 4.17" : ", not verified")})", new VirtParams(new Dictionary<string, string>
        {
            ["vm_type"] = BackendName,
            [XenGuestTypes.Param] = t,
        }))).ToList();

    /// <summary>Hot-plug on Xen is PCI passthrough of a host device.</summary>
    public IReadOnlyList<string> GetDeviceModels(VirtParams vmParams) => new[] { XenMonitor.PassthroughModel };

    public IVmDriver CreateDriver(string vmName, VirtParams vmParams)
    {
        var type = XenGuestTypes.From(vmParams, vmName);
        // Build the config once now, so bad params fail here, before anything runs.
        XenDomainConfig.Build(vmName, "validate", vmParams);
        var lease = Lease(vmParams, vmName);
        return new XenVmDriver(vmName, vmParams, type, ForGuestType(type), lease, _hostPciSysfs);
    }
}
