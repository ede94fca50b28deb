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
        var os = new XElement("os", new XElement("type", new XAttribute("machine", Value(p, "machine_type", "pc")), "hvm"));
        b.Kernel(os);
        var devices = new XElement("devices");
        if (p.Get("qemu_binary") is { Length: > 0 } emulator) devices.Add(new XElement("emulator", b.Executable("qemu_binary", emulator)));
        b.Disks(devices);
        b.Nics(devices);
        var serial = new XElement("serial", new XAttribute("type", "pty"));
        if (consoleLog is not null) serial.Add(new XElement("log", new XAttribute("file", consoleLog), new XAttribute("append", "on")));
        serial.Add(new XElement("target", new XAttribute("port", "0")));
        devices.Add(serial);
        devices.Add(new XElement("console", new XAttribute("type", "pty"), new XElement("target", new XAttribute("type", "serial"), new XAttribute("port", "0"))));
        b.Display(devices, runtimeDir);
        if (p.Get("virtio_rng") == "yes")
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
            new XElement("memory", new XAttribute("unit", "MiB"), b.PositiveInt("mem", VirtualMachine.DefaultMemoryMB)),
            new XElement("vcpu", b.PositiveInt("smp", 1)),
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
    public static XElement HotplugInterface(string vmName, string model, string alias, IReadOnlyDictionary<string, string> properties)
    {
        if (!NicModels.TryGetValue(model, out var libvirtModel))
        {
            throw new VmParamException(vmName, "pci_model", model,
                "the libvirt backend can hot-plug only network cards, as <interface>; no such network card model", NicModels.Keys.ToList());
        }
        var nic = new XElement("interface", new XAttribute("type", "user"));
        foreach (var (key, value) in properties)
        {
            switch (key)
            {
                case "mac": nic.Add(new XElement("mac", new XAttribute("address", value))); break;
                default:
                    throw new VmParamException(vmName, "pci_device_property", key, "the libvirt backend maps only these device properties to domain XML", new[] { "mac" });
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

        public Builder(string vm, VirtParams p) { _vm = vm; _p = p; }

        public string PositiveInt(string key, int fallback)
        {
            var text = Value(_p, key, fallback.ToString(CultureInfo.InvariantCulture));
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n <= 0)
                throw new VmParamException(_vm, key, text, "not a positive whole number");
            return n.ToString(CultureInfo.InvariantCulture);
        }

        private string ExistingFile(string param, string path)
        {
            var full = Path.GetFullPath(path);
            if (!File.Exists(full)) throw new VmParamException(_vm, param, path, "no such file");
            return full;
        }

        public string Executable(string param, string name)
        {
            if (Path.IsPathRooted(name)) return ExistingFile(param, name);
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = Path.Combine(dir, name);
                if (File.Exists(candidate)) return candidate;
            }
            throw new VmParamException(_vm, param, name, "not found in PATH");
        }

        public void Kernel(XElement os)
        {
            if (_p.Get("kernel") is { Length: > 0 } kernel)
            {
                os.Add(new XElement("kernel", ExistingFile("kernel", kernel)));
                if (_p.Get("initrd") is { Length: > 0 } initrd) os.Add(new XElement("initrd", ExistingFile("initrd", initrd)));
                if (_p.Get("kernel_params") is { Length: > 0 } append) os.Add(new XElement("cmdline", append));
            }
            else if (_p.Get("initrd") is { Length: > 0 } initrd)
            {
                throw new VmParamException(_vm, "initrd", initrd, "an initrd needs a kernel (param kernel is not set)");
            }
        }

        public void Disks(XElement devices)
        {
            var perPrefix = new Dictionary<string, int>(StringComparer.Ordinal);
            var needsScsi = false;
            foreach (var image in _p.Objects("images"))
            {
                var ip = _p.ObjectParams(image);
                var format = ImageFile.Format(ip);
                var file = ExistingFile("image_name_" + image, ImageFile.PathOf(ip, _vm, image));
                var driveFormat = Value(ip, "drive_format", "virtio");
                if (!DiskBuses.TryGetValue(driveFormat, out var bus))
                    throw new VmParamException(_vm, "drive_format_" + image, driveFormat, "no libvirt disk bus for it", DiskBuses.Keys.ToList());
                if (bus.Bus == "scsi") needsScsi = true;
                var index = perPrefix.TryGetValue(bus.Prefix, out var n) ? n : 0;
                perPrefix[bus.Prefix] = index + 1;
                var driver = new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", format));
                if (ip.Get("drive_cache") is { Length: > 0 } cache) driver.Add(new XAttribute("cache", cache));
                var disk = new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "disk"),
                    driver,
                    new XElement("source", new XAttribute("file", file)),
                    new XElement("target", new XAttribute("dev", bus.Prefix + (char)('a' + index)), new XAttribute("bus", bus.Bus)),
                    new XElement("alias", new XAttribute("name", UserAliasPrefix + SafeId(image))));
                if (ip.Get("image_snapshot") == "yes") disk.Add(new XElement("transient"));
                devices.Add(disk);
            }
            if (needsScsi) devices.Add(new XElement("controller", new XAttribute("type", "scsi"), new XAttribute("model", "virtio-scsi")));
        }

        public void Nics(XElement devices)
        {
            foreach (var nic in _p.Objects("nics"))
            {
                var np = _p.ObjectParams(nic);
                var model = Value(np, "nic_model", "virtio-net-pci");
                if (!NicModels.TryGetValue(model, out var libvirtModel))
                    throw new VmParamException(_vm, "nic_model", model, "no libvirt interface model for it", NicModels.Keys.ToList());
                var netType = Value(np, "nettype", "user");
                if (!NetTypes.Contains(netType))
                    throw new VmParamException(_vm, "nettype", netType, "not a network type the libvirt backend can set up", NetTypes);
                if (netType == "none") continue;
                var element = new XElement("interface", new XAttribute("type", netType));
                if (np.Get("mac") is { Length: > 0 } mac) element.Add(new XElement("mac", new XAttribute("address", mac)));
                if (netType is "network" or "bridge")
                {
                    var dst = np.Get("netdst") is { Length: > 0 } d ? d
                        : throw new VmParamException(_vm, "netdst", "", $"nettype {netType} needs the {(netType == "network" ? "libvirt network" : "host bridge")} in netdst");
                    element.Add(new XElement("source", new XAttribute(netType, dst)));
                }
                element.Add(new XElement("model", new XAttribute("type", libvirtModel)));
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
