using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Libvirt;

/// <summary>
/// The libvirt backend: domains defined from params through libvirt's C API, on the
/// connection URI in <c>connect_uri</c> (default <c>qemu:///system</c>; remote URIs such as
/// <c>qemu+ssh://host/system</c> are passed to libvirt as they are).
/// </summary>
public sealed class LibvirtBackend : IVmBackend, IVmBackendVariants
{
    public const string DefaultUri = "qemu:///system";

    /// <summary>What every libvirt hypervisor driver offers through the core API.</summary>
    private const VmCapability Core = VmCapability.Pause | VmCapability.Powerdown | VmCapability.Events;

    /// <summary>What the QEMU and test drivers add through the generic API (verified against both).</summary>
    private const VmCapability Generic = Core | VmCapability.Reset | VmCapability.Screendump;

    /// <summary>
    /// What QEMU domains add: PCI info and the raw monitor through QEMU's monitor (libvirt-qemu),
    /// hot-plug of network cards, key presses and mouse over that monitor, the console stream,
    /// and networking verified against the QEMU driver (bridges, libvirt networks, queues,
    /// guest addresses through the interface-address API, hot-plugged interfaces with a source).
    /// </summary>
    private const VmCapability QemuOnly = VmCapability.PciInfo | VmCapability.PciHotplug | VmCapability.SendKey | VmCapability.Mouse |
        VmCapability.SerialConsole | VmCapability.RawMonitor |
        VmCapability.BridgeNetwork | VmCapability.LibvirtNetwork | VmCapability.MultiQueueNic | VmCapability.GuestAddressQuery | VmCapability.NicHotplugNetwork |
        VmCapability.BlockInfo | VmCapability.DiskHotplug | VmCapability.LiveSnapshot | VmCapability.BlockJobs | VmCapability.CdromChange;

    public string Name => "libvirt";

    /// <summary>
    /// Migration needs a second libvirt (param <c>migration_dest_uri</c>): libvirt refuses to
    /// migrate within one daemon or between daemons with the same host UUID. Copying the disks
    /// (<c>VIR_MIGRATE_NON_SHARED_DISK</c>) comes with it on the QEMU driver.
    /// </summary>
    public VmCapability Capabilities => Generic | QemuOnly | VmCapability.Migration | VmCapability.MigrationWithDiskCopy;

    /// <summary>The destination libvirt for migration (<c>migration_dest_uri</c>), or null.</summary>
    public static string? MigrationDestination(VirtParams vmParams) => vmParams.Get("migration_dest_uri") is { Length: > 0 } u ? u : null;

    /// <summary>
    /// Depends on the URI's driver: the QEMU driver (<c>qemu:</c>, <c>qemu+ssh:</c>, ...) can do
    /// everything in <see cref="Capabilities"/>; the test driver (<c>test:///default</c>) the
    /// generic operations; other drivers (xen, lxc, ...) only the core life cycle, since
    /// nothing more was verified against them.
    /// </summary>
    public VmCapability GetCapabilities(VirtParams vmParams)
    {
        var uri = UriOf(vmParams);
        var caps = IsQemuUri(uri) ? Generic | QemuOnly : SchemeOf(uri) == "test" ? Generic : Core;
        if (IsQemuUri(uri) && MigrationDestination(vmParams) is { } dest && IsQemuUri(dest)) caps |= VmCapability.Migration | VmCapability.MigrationWithDiskCopy;
        if (vmParams.Get("vga") == "none") caps &= ~VmCapability.Screendump;
        var machine = vmParams.Get("machine_type") ?? "pc";
        if (machine.StartsWith("microvm", StringComparison.Ordinal) || machine.StartsWith("isapc", StringComparison.Ordinal)) caps &= ~(VmCapability.PciHotplug | VmCapability.DiskHotplug);
        return caps;
    }

    /// <summary>
    /// The capability table's columns: the QEMU driver, the QEMU driver with a second libvirt to
    /// migrate to, and the test driver.
    /// </summary>
    public IReadOnlyList<(string Label, VirtParams Params)> RepresentativeParams =>
    [
        ($"{Name} (qemu://)", Representative(DefaultUri, null)),
        ($"{Name} (qemu://, migration_dest_uri)", Representative(DefaultUri, "qemu+ssh://other-host/system")),
        ($"{Name} (test://)", Representative("test:///default", null)),
    ];

    private VirtParams Representative(string uri, string? migrationDestination)
    {
        var values = new Dictionary<string, string> { ["vm_type"] = Name, ["connect_uri"] = uri };
        if (migrationDestination is not null) values["migration_dest_uri"] = migrationDestination;
        return new VirtParams(values);
    }

    /// <summary>Hot-plug maps network card models to &lt;interface&gt;: those models.</summary>
    public IReadOnlyList<string> GetDeviceModels(VirtParams vmParams) =>
        IsQemuUri(UriOf(vmParams)) ? LibvirtDomainXml.NicModels.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList() : Array.Empty<string>();

    public IVmDriver CreateDriver(string vmName, VirtParams vmParams)
    {
        var uri = UriOf(vmParams);
        // Check the params now (with a placeholder name and type) so a bad value fails at creation, like on QEMU.
        LibvirtDomainXml.Build(vmName, "validate", "qemu", vmParams, null, null);
        return new LibvirtVmDriver(vmName, vmParams, uri, GetCapabilities(vmParams));
    }

    public static string UriOf(VirtParams vmParams) => vmParams.Get("connect_uri") is { Length: > 0 } u ? u : DefaultUri;

    /// <summary>The URI's scheme names the QEMU driver (with or without a transport: qemu+ssh, qemu+unix, ...).</summary>
    public static bool IsQemuUri(string uri) => SchemeOf(uri) == "qemu";

    /// <summary>The driver part of the URI's scheme: <c>qemu+ssh://...</c> → <c>qemu</c>.</summary>
    private static string SchemeOf(string uri) => uri.Split(':', 2)[0].Split('+', 2)[0];

    /// <summary>libvirt runs on this host: no host part in the URI (e.g. <c>qemu:///system</c>, <c>test:///default</c>).</summary>
    public static bool IsLocal(string uri)
    {
        var idx = uri.IndexOf("://", StringComparison.Ordinal);
        return idx >= 0 && idx + 3 < uri.Length && uri[idx + 3] == '/';
    }
}
