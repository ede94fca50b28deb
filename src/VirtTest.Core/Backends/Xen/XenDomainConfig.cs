using System.Globalization;
using System.Text.RegularExpressions;
using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// Builds the xl domain configuration (xl.cfg(5)) of one VM from its params (established
/// names: mem, smp, kernel, initrd, kernel_params, images, image_name, image_format,
/// image_filename, images_base_dir, drive_format, image_readonly, nics, nic_model, mac,
/// nettype, netdst, vga, display; Xen's own: xen_guest_type, xen_bootloader, on_poweroff,
/// on_reboot, on_crash). Every value is checked first, so a bad one fails with the param's
/// name and the valid choices; values reach the file only through <see cref="XlConfigWriter"/>.
/// With <c>xen_host</c> (xl on another machine) the kernel and initrd are files of this machine
/// that the driver copies to the host (their host paths are given to <see cref="Build"/>), and
/// disk images are paths on the Xen host (absolute; xl checks them).
/// </summary>
public sealed partial class XenDomainConfig
{
    public static readonly IReadOnlyList<string> DiskFormats = new[] { "raw", "qcow", "qcow2", "vhd", "qed" };
    /// <summary>The event actions the config file gets from params (on_watchdog and on_soft_reset keep xl's defaults).</summary>
    public static readonly IReadOnlyList<string> WrittenActions = new[] { "on_poweroff", "on_reboot", "on_crash" };
    public static readonly IReadOnlyList<string> Actions = new[] { "destroy", "restart", "rename-restart", "preserve", "coredump-destroy", "coredump-restart", "soft-reset" };
    /// <summary>nic_model values: emulated models (HVM) and the PV netfront.</summary>
    public static readonly IReadOnlyList<string> HvmNicModels = new[] { "rtl8139", "e1000", "netfront" };
    public static readonly IReadOnlyList<string> PvNicModels = new[] { "netfront" };
    public static readonly IReadOnlyList<string> Displays = new[] { "none", "vnc", "sdl" };
    /// <summary>vga param → xl's vga key (HVM).</summary>
    private static readonly Dictionary<string, string> VgaModels = new(StringComparer.Ordinal)
    {
        ["std"] = "stdvga",
        ["cirrus"] = "cirrus",
        ["qxl"] = "qxl",
        ["none"] = "none",
    };
    /// <summary>drive_format → the vdev prefix the guest sees (hd: emulated IDE, sd: SCSI, xvd: Xen virtual block device).</summary>
    private static readonly Dictionary<string, string> VdevPrefixes = new(StringComparer.Ordinal)
    {
        ["xen"] = "xvd",
        ["virtio"] = "xvd",
        ["ide"] = "hd",
        ["scsi"] = "sd",
    };

    private readonly string _vm;
    private readonly VirtParams _p;
    private readonly VmParamsReader _read;
    private readonly XenGuestType _type;
    private readonly List<KeyValuePair<string, XlConfigValue>> _settings = new();
    private readonly IReadOnlyDictionary<string, string>? _hostFiles;
    private readonly bool _remote;

    /// <summary>The params of the files copied to a remote Xen host (the rest of the config refers to them by their host path).</summary>
    public static readonly IReadOnlyList<string> CopiedParams = new[] { "kernel", "initrd" };

    private XenDomainConfig(string vmName, VirtParams vmParams, IReadOnlyDictionary<string, string>? hostFiles)
    {
        _vm = vmName;
        _p = vmParams;
        _read = new VmParamsReader(vmName, vmParams);
        _type = XenGuestTypes.From(vmParams, vmName);
        _hostFiles = hostFiles;
        _remote = vmParams.Get(XenHostTarget.HostParam) is { Length: > 0 };
    }

    /// <summary>The settings in file order. <paramref name="hostFiles"/>: param (kernel, initrd) → the file's path on the Xen host; without it, the file's full path here.</summary>
    public static IReadOnlyList<KeyValuePair<string, XlConfigValue>> Build(string vmName, string domainName, VirtParams vmParams, IReadOnlyDictionary<string, string>? hostFiles = null)
    {
        var b = new XenDomainConfig(vmName, vmParams, hostFiles);
        b.BuildAll(domainName);
        return b._settings;
    }

    /// <summary>The configuration file's text.</summary>
    public static string Render(string vmName, string domainName, VirtParams vmParams, IReadOnlyDictionary<string, string>? hostFiles = null) =>
        XlConfigWriter.Write(Build(vmName, domainName, vmParams, hostFiles));

    /// <summary>The files of this machine the domain boots from (param → full path), checked to exist: what goes to a remote Xen host.</summary>
    public static IReadOnlyList<(string Param, string Path)> LocalFiles(string vmName, VirtParams vmParams)
    {
        var b = new XenDomainConfig(vmName, vmParams, null);
        return CopiedParams.Where(p => vmParams.Get(p) is { Length: > 0 }).Select(p => (p, b._read.ExistingFile(p, vmParams.Get(p)!))).ToList();
    }

    /// <summary>The host's path of a file the reader found here (its full path when xl runs here).</summary>
    private string HostFile(string param, string localPath) =>
        _hostFiles is not null && _hostFiles.TryGetValue(param, out var onHost) ? onHost : localPath;

    private void Set(string key, XlConfigValue value) => _settings.Add(new(key, value));

    private void BuildAll(string domainName)
    {
        Set("name", XlConfigValue.Str(domainName));
        Set("type", XlConfigValue.Str(_type.XlType()));
        Set("memory", XlConfigValue.Num(_read.MemoryMB));
        Set("vcpus", XlConfigValue.Num(_read.Cpus));
        Kernel();
        Disks();
        Vifs();
        // HVM: the emulated first serial port on a pty, which 'xl console -t serial' attaches to.
        // PV and PVH guests always have the PV console instead.
        if (_type == XenGuestType.Hvm) Set("serial", XlConfigValue.StrList(new[] { "pty" }));
        Display();
        Set("on_poweroff", XlConfigValue.Str(Action("on_poweroff", "destroy")));
        Set("on_reboot", XlConfigValue.Str(Action("on_reboot", "restart")));
        Set("on_crash", XlConfigValue.Str(Action("on_crash", "destroy")));
    }

    private void Kernel()
    {
        if (_read.Kernel is not { } boot)
        {
            if (_type == XenGuestType.Pvh)
                throw new VmParamException(_vm, "kernel", "", "a Xen PVH guest needs a kernel (param kernel)");
            if (_type == XenGuestType.Pv)
            {
                if (_p.Get("xen_bootloader") is { Length: > 0 } loader)
                {
                    Set("bootloader", XlConfigValue.Str(loader));
                    return;
                }
                throw new VmParamException(_vm, "kernel", "", "a Xen PV guest needs a kernel (or param xen_bootloader, e.g. pygrub)");
            }
            return;
        }
        // Direct kernel boot: PV always; HVM with qemu-xen and SeaBIOS (xl.cfg(5), Direct Kernel Boot).
        Set("kernel", XlConfigValue.Str(HostFile("kernel", boot.Kernel)));
        if (boot.Initrd is not null) Set("ramdisk", XlConfigValue.Str(HostFile("initrd", boot.Initrd)));
        if (boot.CommandLine is not null) Set("cmdline", XlConfigValue.Str(boot.CommandLine));
    }

    private void Disks()
    {
        var specs = new List<string>();
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var disk in _read.Images)
        {
            var image = disk.Name;
            var format = disk.Format;
            if (!DiskFormats.Contains(format))
                throw new VmParamException(_vm, "image_format_" + image, format, "not a disk format xl supports", DiskFormats);
            if (disk.Snapshot)
                throw new VmParamException(_vm, "image_snapshot_" + image, "yes", "the xen backend has no throw-away snapshot disks");
            string file;
            if (!_remote) file = _read.ExistingImage(disk);
            // A file on the Xen host: as the params give it (the reader's path is made absolute here).
            else if (ImageFile.PathOf(disk.Params, _vm, image) is var onHost && onHost.StartsWith('/')) file = onHost;
            else throw new VmParamException(_vm, "image_name_" + image, onHost, "with xen_host a disk image is a file on the Xen host: give its absolute path there (image_filename or images_base_dir)");
            var driveFormat = disk.DriveFormat ?? "xen";
            if (!VdevPrefixes.TryGetValue(driveFormat, out var prefix))
                throw new VmParamException(_vm, "drive_format_" + image, driveFormat, "not a disk bus the xen backend knows", VdevPrefixes.Keys.ToList());
            if (_type.IsParavirtual() && prefix != "xvd")
                throw new VmParamException(_vm, "drive_format_" + image, driveFormat, $"a Xen {_type.XlType().ToUpperInvariant()} guest has only Xen virtual block devices", new[] { "xen", "virtio" });
            var index = used.TryGetValue(prefix, out var n) ? n : 0;
            used[prefix] = index + 1;
            if (index >= 26) throw new VmParamException(_vm, "images", string.Join(' ', _p.Objects("images")), $"more than 26 {prefix} disks");
            var vdev = prefix + (char)('a' + index);
            var access = disk.ReadOnly ? "ro" : "rw";
            // target= last: xl-disk-configuration(5) lets it take the rest of the spec, commas included.
            specs.Add($"format={format}, vdev={vdev}, access={access}, target={file}");
        }
        Cdroms(specs, used);
        if (specs.Count > 0) Set("disk", XlConfigValue.StrList(specs));
    }

    /// <summary>
    /// CD-ROM drives (<c>cdroms</c>) as read-only disks of type cdrom on the emulated IDE bus,
    /// which only HVM guests have (xl-disk-configuration(5): <c>devtype=cdrom</c>; an empty target
    /// is an empty drive).
    /// </summary>
    private void Cdroms(List<string> specs, Dictionary<string, int> used)
    {
        var names = _p.Objects("cdroms");
        if (names.Count == 0) return;
        if (_type != XenGuestType.Hvm)
            throw new VmParamException(_vm, "cdroms", string.Join(' ', names), $"a Xen {_type.XlType().ToUpperInvariant()} guest has no emulated CD-ROM drive (use xen_guest_type = hvm)");
        foreach (var name in names)
        {
            var cp = _p.ObjectParams(name);
            string file;
            if (!_remote) file = _read.Cdroms.First(c => c.Name == name).Iso ?? "";
            else if (cp.Get("cdrom") is not { Length: > 0 } onHost) file = "";
            else if (onHost.StartsWith('/')) file = onHost;
            else throw new VmParamException(_vm, "cdrom_" + name, onHost, "with xen_host an ISO is a file on the Xen host: give its absolute path there");
            var bus = cp.Get("cd_format") is { Length: > 0 } cf ? cf : _p.Get("drive_format_" + name) is { Length: > 0 } df ? df : "ide";
            if (bus is not ("ide" or "ide-cd"))
                throw new VmParamException(_vm, "cd_format_" + name, bus, "the xen backend puts CD-ROM drives on the emulated IDE bus only", new[] { "ide" });
            // hdc on: the second IDE channel, after any IDE disks.
            var index = Math.Max(used.TryGetValue("hd", out var n) ? n : 0, 2);
            if (index >= 4) throw new VmParamException(_vm, "cdroms", string.Join(' ', names), "the emulated IDE bus has four devices at most (hda-hdd)");
            used["hd"] = index + 1;
            specs.Add($"format=raw, vdev=hd{(char)('a' + index)}, access=ro, devtype=cdrom, target={file}");
        }
    }

    private void Vifs()
    {
        var specs = new List<string>();
        foreach (var nicSpec in _read.Nics)
        {
            var nic = nicSpec.Name;
            var netType = nicSpec.NetType ?? "bridge";
            if (netType != "bridge")
                throw new VmParamException(_vm, "nettype_" + nic, netType, "Xen vifs attach to a host bridge (set netdst to its name)", new[] { "bridge" });
            var parts = new List<string>();
            if (nicSpec.Mac is { } mac)
            {
                if (!MacRegex().IsMatch(mac)) throw new VmParamException(_vm, "mac_" + nic, mac, "not a MAC address (six hex pairs separated by colons)");
                parts.Add("mac=" + mac);
            }
            var bridge = nicSpec.NetDst ?? "xenbr0";
            if (!BridgeRegex().IsMatch(bridge)) throw new VmParamException(_vm, "netdst_" + nic, bridge, "not a bridge name (letters, digits, '.', '-', '_', at most 15)");
            parts.Add("bridge=" + bridge);
            var allowed = _type.IsParavirtual() ? PvNicModels : HvmNicModels;
            var model = nicSpec.Model ?? allowed[0];
            if (!allowed.Contains(model))
            {
                var problem = _type.IsParavirtual()
                    ? $"a Xen {_type.XlType().ToUpperInvariant()} guest gets a PV (netfront) NIC; emulated models need xen_guest_type = hvm"
                    : "not a NIC model of the Xen HVM device model";
                throw new VmParamException(_vm, "nic_model_" + nic, model, problem, allowed);
            }
            if (_type == XenGuestType.Hvm)
            {
                // type=ioemu: an emulated NIC the guest may trade for the PV one; type=vif: PV only.
                if (model == "netfront") parts.Add("type=vif");
                else { parts.Add("type=ioemu"); parts.Add("model=" + model); }
            }
            specs.Add(string.Join(',', parts));
        }
        if (specs.Count > 0) Set("vif", XlConfigValue.StrList(specs));
    }

    private void Display()
    {
        var display = _p.Get("display") is { Length: > 0 } d ? d : "none";
        if (!Displays.Contains(display))
            throw new VmParamException(_vm, "display", display, "not a display the xen backend can set up", Displays);
        if (_type == XenGuestType.Hvm)
        {
            var vga = _p.Get("vga") is { Length: > 0 } v ? v : "std";
            if (!VgaModels.TryGetValue(vga, out var xlVga))
                throw new VmParamException(_vm, "vga", vga, "not a VGA model of the Xen HVM device model", VgaModels.Keys.ToList());
            Set("vga", XlConfigValue.Str(xlVga));
            Set("vnc", XlConfigValue.Bool(display == "vnc"));
            if (display == "vnc")
            {
                // Loopback only, on a free port (xl vncviewer finds it).
                Set("vnclisten", XlConfigValue.Str("127.0.0.1"));
                Set("vncunused", XlConfigValue.Bool(true));
            }
            Set("sdl", XlConfigValue.Bool(display == "sdl"));
        }
        else if (display != "none" && _type == XenGuestType.Pvh)
        {
            throw new VmParamException(_vm, "display", display, "a Xen PVH guest has no display (no device model, no PV framebuffer)", new[] { "none" });
        }
        else if (display != "none")
        {
            // A PV guest's display is a paravirtual framebuffer (vfb).
            Set("vfb", XlConfigValue.StrList(new[] { display == "vnc" ? "vnc=1,vnclisten=127.0.0.1,vncunused=1" : "sdl=1,vnc=0" }));
        }
    }

    private string Action(string key, string fallback)
    {
        var value = _p.Get(key) is { Length: > 0 } v ? v : fallback;
        if (!Actions.Contains(value)) throw new VmParamException(_vm, key, value, "not an xl domain event action", Actions);
        return value;
    }

    [GeneratedRegex("^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")]
    private static partial Regex MacRegex();
    [GeneratedRegex("^[A-Za-z0-9_.-]{1,15}$")]
    private static partial Regex BridgeRegex();
}
