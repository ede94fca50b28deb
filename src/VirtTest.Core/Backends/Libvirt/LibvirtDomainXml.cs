using System.Globalization;
using System.Xml.Linq;
using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Libvirt;

/// <summary>
/// Builds a domain's XML from a VM's params (the names the QEMU backend reads too: mem, smp,
/// machine_type, kernel, initrd, kernel_params, images, image_name, image_format,
/// drive_format, nics, nic_model, nettype, netdst, mac, display, vga, enable_kvm,
/// qemu_binary, virtio_rng). Built with XElement, so no value can break the document.
/// Values libvirt would only reject later (at define) are checked here where the param name
/// is still known; everything else libvirt validates itself.
/// </summary>
public static class LibvirtDomainXml
{
    /// <summary>nic_model / PCI device model → libvirt's <c>&lt;model type=...&gt;</c> of an interface.</summary>
    public static readonly IReadOnlyDictionary<string, string> NicModels = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["virtio"] = "virtio",
        ["virtio_net"] = "virtio",
        ["virtio-net-pci"] = "virtio",
        ["e1000"] = "e1000",
        ["e1000e"] = "e1000e",
        ["rtl8139"] = "rtl8139",
        ["ne2k_pci"] = "ne2k_pci",
        ["pcnet"] = "pcnet",
        ["vmxnet3"] = "vmxnet3",
    };

    private static readonly Dictionary<string, string> VideoModels = new(StringComparer.Ordinal)
    {
        ["std"] = "vga", ["cirrus"] = "cirrus", ["virtio"] = "virtio", ["qxl"] = "qxl", ["vmware"] = "vmvga", ["none"] = "none",
    };

    private static readonly Dictionary<string, (string Bus, string Prefix)> DiskBuses = new(StringComparer.Ordinal)
    {
        ["virtio"] = ("virtio", "vd"), ["ide"] = ("ide", "hd"), ["scsi"] = ("scsi", "sd"), ["scsi-hd"] = ("scsi", "sd"), ["ahci"] = ("sata", "sd"),
    };

    private static readonly string[] Displays = { "none", "vnc" };
    private static readonly string[] NetTypes = { "user", "network", "bridge", "none" };

    /// <summary>The prefix libvirt requires on user-chosen device aliases.</summary>
    public const string UserAliasPrefix = "ua-";

    /// <param name="vmName">The VM's name in the params (for error messages).</param>
    /// <param name="domainName">The unique libvirt domain name.</param>
    /// <param name="domainType">libvirt's domain type: qemu, kvm, test, ...</param>
    /// <param name="p">The VM's params.</param>
    /// <param name="consoleLog">Where the serial console's log goes, or null for no log.</param>
    /// <param name="runtimeDir">The VM's private directory (VNC socket), or null.</param>
    public static XDocument Build(string vmName, string domainName, string domainType, VirtParams p, string? consoleLog, string? runtimeDir)
    {
        var b = new Builder(vmName, p);
        var os = new XElement("os", new XElement("type", new XAttribute("machine", Value(p, "machine_type", VmDefaults.MachineType)), "hvm"));
        b.Kernel(os);
        var devices = new XElement("devices");
        if (p.Get("qemu_binary") is { Length: > 0 } emulator) devices.Add(new XElement("emulator", b.Read.Executable("qemu_binary", emulator)));
        b.Disks(devices);
        b.Cdroms(devices);
        b.Nics(devices);
        var serial = new XElement("serial", new XAttribute("type", "pty"));
        if (consoleLog is not null) serial.Add(new XElement("log", new XAttribute("file", consoleLog), new XAttribute("append", "on")));
        serial.Add(new XElement("target", new XAttribute("port", "0")));
        devices.Add(serial);
        devices.Add(new XElement("console", new XAttribute("type", "pty"), new XElement("target", new XAttribute("type", "serial"), new XAttribute("port", "0"))));
        b.Display(devices, runtimeDir);
        if (b.Read.Flag("virtio_rng"))
        {
            devices.Add(new XElement("rng", new XAttribute("model", "virtio"), new XElement("backend", new XAttribute("model", "random"), "/dev/urandom")));
        }
        // Like QEMU's -nodefaults: no balloon and no USB controller the tests did not ask for. The
        // USB controller libvirt adds by default also makes SeaBIOS poll it between disk reads,
        // which under TCG made a boot loader load a kernel in minutes instead of seconds.
        devices.Add(new XElement("memballoon", new XAttribute("model", "none")));
        devices.Add(new XElement("controller", new XAttribute("type", "usb"), new XAttribute("model", "none")));

        var domain = new XElement("domain", new XAttribute("type", domainType),
            new XElement("name", domainName),
            new XElement("memory", new XAttribute("unit", "MiB"), b.Read.MemoryMB),
            new XElement("vcpu", b.Read.Cpus),
            os,
            // ACPI: the power button (graceful shutdown) and PCI hot-plug need it.
            new XElement("features", new XElement("acpi")),
            new XElement("on_poweroff", "destroy"),
            new XElement("on_reboot", "restart"),
            new XElement("on_crash", "destroy"),
            devices);
        if (p.Get("cpu_model") is { Length: > 0 } cpu)
        {
            domain.Add(new XElement("cpu", new XAttribute("mode", "custom"), new XElement("model", cpu)));
        }
        return new XDocument(domain);
    }

    /// <summary>The XML of a network interface for hot-plug (<see cref="Monitor.PciDeviceSpec"/> model and properties).</summary>
    /// <remarks>
    /// The interface joins the network of the VM's first NIC on a libvirt network or bridge
    /// (<paramref name="defaultNetwork"/>), unless the properties <c>nettype</c> (user, network,
    /// bridge) and <c>netdst</c> choose; without either it gets user-mode networking.
    /// </remarks>
    public static XElement HotplugInterface(string vmName, string model, string alias, IReadOnlyDictionary<string, string> properties,
        Network.NicAttachment? defaultNetwork = null)
    {
        if (!NicModels.TryGetValue(model, out var libvirtModel))
        {
            throw new VmParamException(vmName, "pci_model", model,
                "the libvirt backend can hot-plug only network cards, as <interface>; no such network card model", NicModels.Keys.ToList());
        }
        var netType = properties.TryGetValue("nettype", out var t) ? t : defaultNetwork?.NetType ?? "user";
        var netDst = properties.TryGetValue("netdst", out var d) ? d : properties.ContainsKey("nettype") ? null : defaultNetwork?.NetDst;
        if (netType is not ("user" or "network" or "bridge"))
            throw new VmParamException(vmName, "nettype", netType, "a hot-plugged interface goes on user-mode networking, a libvirt network or a bridge", new[] { "user", "network", "bridge" });
        var nic = new XElement("interface", new XAttribute("type", netType));
        if (netType != "user")
        {
            nic.Add(new XElement("source", new XAttribute(netType, netDst
                ?? throw new VmParamException(vmName, "netdst", "", $"a hot-plugged interface with nettype = {netType} needs netdst"))));
        }
        foreach (var (key, value) in properties)
        {
            switch (key)
            {
                case "mac": nic.Add(new XElement("mac", new XAttribute("address", value))); break;
                case "nettype" or "netdst": break;
                default:
                    throw new VmParamException(vmName, "pci_device_property", key, "the libvirt backend maps only these device properties to domain XML", new[] { "mac", "nettype", "netdst" });
            }
        }
        nic.Add(new XElement("model", new XAttribute("type", libvirtModel)));
        nic.Add(new XElement("alias", new XAttribute("name", alias)));
        return nic;
    }

    private static string Value(VirtParams p, string key, string fallback) => p.Get(key) is { Length: > 0 } v ? v : fallback;

    private sealed class Builder
    {
        private readonly string _vm;
        private readonly VirtParams _p;

        public Builder(string vm, VirtParams p) { _vm = vm; _p = p; Read = new VmParamsReader(vm, p); }

        public VmParamsReader Read { get; }

        public void Kernel(XElement os)
        {
            if (Read.Kernel is not { } boot) return;
            os.Add(new XElement("kernel", boot.Kernel));
            if (boot.Initrd is not null) os.Add(new XElement("initrd", boot.Initrd));
            if (boot.CommandLine is not null) os.Add(new XElement("cmdline", boot.CommandLine));
        }

        public void Disks(XElement devices)
        {
            var perPrefix = new Dictionary<string, int>(StringComparer.Ordinal);
            var needsScsi = false;
            foreach (var image in Read.Images)
            {
                var driveFormat = image.DriveFormat ?? "virtio";
                if (!DiskBuses.TryGetValue(driveFormat, out var bus))
                    throw new VmParamException(_vm, "drive_format_" + image.Name, driveFormat, "no libvirt disk bus for it", DiskBuses.Keys.ToList());
                if (bus.Bus == "scsi") needsScsi = true;
                var index = perPrefix.TryGetValue(bus.Prefix, out var n) ? n : 0;
                perPrefix[bus.Prefix] = index + 1;
                var driver = new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", image.Format));
                if (image.Cache is { } cache) driver.Add(new XAttribute("cache", cache));
                var disk = new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "disk"),
                    driver,
                    new XElement("source", new XAttribute("file", Read.ExistingImage(image))),
                    new XElement("target", new XAttribute("dev", bus.Prefix + (char)('a' + index)), new XAttribute("bus", bus.Bus)),
                    new XElement("alias", new XAttribute("name", UserAliasPrefix + SafeId(image.Name))));
                if (image.ReadOnly) disk.Add(new XElement("readonly"));
                // shareBacking: libvirt adds the disk after start-up on an overlay with the image as a
                // read-only backing file, so VMs may share the image. Without it QEMU opens the image
                // read-write at start, which fails while another VM (or QEMU's snapshot=on) reads it.
                if (image.Snapshot) disk.Add(new XElement("transient", new XAttribute("shareBacking", "yes")));
                devices.Add(disk);
            }
            if (needsScsi) AddScsiController(devices);
            _perPrefix = perPrefix;
        }

        private Dictionary<string, int> _perPrefix = new(StringComparer.Ordinal);

        private static void AddScsiController(XElement devices)
        {
            if (devices.Elements("controller").Any(c => (string?)c.Attribute("type") == "scsi")) return;
            devices.Add(new XElement("controller", new XAttribute("type", "scsi"), new XAttribute("model", "virtio-scsi")));
        }

        /// <summary>CD-ROM drives (<c>cdroms</c>): read-only raw, empty or with the ISO of <c>cdrom_&lt;name&gt;</c>.</summary>
        public void Cdroms(XElement devices)
        {
            foreach (var cd in Read.Cdroms)
            {
                var (bus, prefix) = cd.Bus switch
                {
                    "scsi" => ("scsi", "sd"),
                    "ahci" => ("sata", "sd"),
                    _ => ("ide", "hd"),
                };
                // After the disks of the same prefix; on IDE from hdc on (the second channel), as installers expect.
                var used = _perPrefix.GetValueOrDefault(prefix);
                var index = prefix == "hd" ? Math.Max(used, 2) : used;
                _perPrefix[prefix] = index + 1;
                if (bus == "scsi") AddScsiController(devices);
                var disk = new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "cdrom"),
                    new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "raw")));
                if (cd.Iso is { } iso) disk.Add(new XElement("source", new XAttribute("file", iso)));
                disk.Add(new XElement("target", new XAttribute("dev", prefix + (char)('a' + index)), new XAttribute("bus", bus)),
                    new XElement("readonly"),
                    new XElement("alias", new XAttribute("name", UserAliasPrefix + SafeId(cd.Name))));
                devices.Add(disk);
            }
        }

        public void Nics(XElement devices)
        {
            foreach (var nicSpec in Read.Nics)
            {
                var nic = nicSpec.Name;
                var model = nicSpec.Model ?? "virtio-net-pci";
                if (!NicModels.TryGetValue(model, out var libvirtModel))
                    throw new VmParamException(_vm, "nic_model", model, "no libvirt interface model for it", NicModels.Keys.ToList());
                var netType = nicSpec.NetType ?? "user";
                if (!NetTypes.Contains(netType))
                    throw new VmParamException(_vm, "nettype", netType, "not a network type the libvirt backend can set up", NetTypes);
                if (netType == "none") continue;
                var element = new XElement("interface", new XAttribute("type", netType));
                if (nicSpec.Mac is { } mac) element.Add(new XElement("mac", new XAttribute("address", mac)));
                if (netType is "network" or "bridge")
                {
                    var dst = nicSpec.NetDst is { } d ? d
                        : throw new VmParamException(_vm, "netdst", "", $"nettype {netType} needs the {(netType == "network" ? "libvirt network" : "host bridge")} in netdst");
                    element.Add(new XElement("source", new XAttribute(netType, dst)));
                }
                element.Add(new XElement("model", new XAttribute("type", libvirtModel)));
                var attachment = Network.NicAttachment.Read(_vm, nicSpec);
                if (attachment.Queues > 1 || attachment.Vhost is not null)
                {
                    if (attachment.Queues > 1 && libvirtModel != "virtio")
                        throw new VmParamException(_vm, "queues_" + nic, attachment.Queues.ToString(CultureInfo.InvariantCulture), $"multi-queue needs a virtio NIC (NIC {nic} is {model})");
                    // libvirt's <driver>: vhost-net (name='vhost') or QEMU's own (name='qemu'), else libvirt's choice; and the queue pairs.
                    var driver = new XElement("driver");
                    if (attachment.Vhost is { } vhost) driver.Add(new XAttribute("name", vhost ? "vhost" : "qemu"));
                    if (attachment.Queues > 1) driver.Add(new XAttribute("queues", attachment.Queues));
                    element.Add(driver);
                }
                element.Add(new XElement("alias", new XAttribute("name", UserAliasPrefix + SafeId(nic))));
                devices.Add(element);
            }
        }

        public void Display(XElement devices, string? runtimeDir)
        {
            var vga = Value(_p, "vga", "std");
            if (!VideoModels.TryGetValue(vga, out var video))
                throw new VmParamException(_vm, "vga", vga, "unknown VGA type", VideoModels.Keys.ToList());
            var display = Value(_p, "display", "none");
            switch (display)
            {
                case "none":
                    break;
                case "vnc":
                    var vnc = new XElement("graphics", new XAttribute("type", "vnc"));
                    // A Unix socket in the VM's directory: no TCP port to collide between parallel VMs.
                    if (runtimeDir is not null) vnc.Add(new XAttribute("socket", Path.Combine(runtimeDir, "vnc.sock")));
                    devices.Add(vnc);
                    break;
                default:
                    throw new VmParamException(_vm, "display", display, "not a display the framework can run headless", Displays);
            }
            devices.Add(new XElement("video", new XElement("model", new XAttribute("type", video))));
        }
    }

    /// <summary>A device alias part: libvirt allows letters, digits, '-' and '_' only.</summary>
    public static string SafeId(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
}
