using System.Globalization;
using System.Text;
using VirtTest.Core.Config;
using VirtTest.Core.Network;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Qemu;

/// <summary>Host-side paths one QEMU instance uses, all inside its runtime directory.</summary>
public sealed record QemuRuntimePaths(string QmpSocket, string SerialSocket, string ConsoleLog, string PidFile, string Directory)
{
    public static QemuRuntimePaths In(string directory) => new(
        Path.Combine(directory, "qmp.sock"),
        Path.Combine(directory, "serial.sock"),
        Path.Combine(directory, "console.log"),
        Path.Combine(directory, "qemu.pid"),
        directory);
}

/// <summary>
/// Builds the QEMU argument list from a VM's params (established names: mem, smp,
/// machine_type, kernel, initrd, kernel_params, images, image_name, image_format,
/// drive_format, nics, nic_model, nettype, display, vga, monitors, monitor_type,
/// extra_params, ...). Every value is checked against what the binary offers first, so
/// a bad value fails with the param's name and the valid choices instead of a QEMU
/// error later. The result is an argument list: no shell ever parses it.
/// </summary>
public sealed class QemuCommandLine
{
    /// <summary>Short aliases of established nic_model values.</summary>
    private static readonly Dictionary<string, string> NicModelAliases = new(StringComparer.Ordinal)
    {
        ["virtio"] = "virtio-net-pci",
        ["virtio_net"] = "virtio-net-pci",
    };

    private static readonly Dictionary<string, string> DriveFormatDevices = new(StringComparer.Ordinal)
    {
        ["virtio"] = "virtio-blk-pci",
        ["ide"] = "ide-hd",
        ["scsi"] = "scsi-hd",
        ["scsi-hd"] = "scsi-hd",
        ["virtio-blk-pci"] = "virtio-blk-pci",
        ["ahci"] = "ide-hd",
    };

    private static readonly Dictionary<string, string> VgaDevices = new(StringComparer.Ordinal)
    {
        ["std"] = "VGA",
        ["cirrus"] = "cirrus-vga",
        ["virtio"] = "virtio-vga",
        ["qxl"] = "qxl-vga",
        ["vmware"] = "vmware-svga",
        ["none"] = "",
    };

    private static readonly string[] Displays = { "none", "vnc" };
    private static readonly string[] MonitorTypes = { "qmp", "human" };
    private static readonly string[] NetTypes = { "user", "bridge", "none" };

    private readonly string _vm;
    private readonly VirtParams _p;
    private readonly VmParamsReader _read;
    private readonly QemuBinary _bin;
    private readonly List<string> _args = new();
    private IReadOnlyDictionary<string, int> _hostPorts = new Dictionary<string, int>();
    private IReadOnlyDictionary<string, string> _taps = new Dictionary<string, string>();

    private QemuCommandLine(string vmName, VirtParams vmParams, QemuBinary binary)
    {
        _vm = vmName;
        _p = vmParams;
        _read = new VmParamsReader(vmName, vmParams);
        _bin = binary;
    }

    /// <summary>Checks the params against the binary without building anything for a real start.</summary>
    public static void Validate(string vmName, VirtParams vmParams, QemuBinary binary) =>
        Build(vmName, vmParams, binary, QemuRuntimePaths.In(Path.Combine(Path.GetTempPath(), "virttest-validate")), incoming: null,
            Redirections(vmParams).ToDictionary(r => r.Name, _ => 0));

    /// <summary>
    /// Port redirections for user-mode networking, by the established names: <c>redirs</c>
    /// lists them, <c>guest_port_&lt;name&gt;</c> gives each one's guest TCP port (e.g.
    /// <c>redirs = remote_shell</c>, <c>guest_port_remote_shell = 22</c>). Host ports are
    /// chosen when the VM starts.
    /// </summary>
    public static IReadOnlyList<(string Name, int GuestPort)> Redirections(VirtParams vmParams)
    {
        var result = new List<(string, int)>();
        foreach (var redir in vmParams.Objects("redirs"))
        {
            var text = vmParams.Get("guest_port_" + redir) ?? vmParams.ObjectParams(redir).Get("guest_port") ?? "";
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                throw new VmParamException(vmParams.Get("main_vm") ?? "", "guest_port_" + redir, text, "not a TCP port number (1-65535)");
            result.Add((redir, port));
        }
        return result;
    }

    /// <summary>The full argument list (without the binary itself).</summary>
    /// <remarks>incoming: for a migration destination, the -incoming value (e.g. "defer"); null otherwise.</remarks>
    /// <remarks>taps: the tap device of each NIC with <c>nettype = bridge</c>, by NIC name (the driver creates them; missing ones get a placeholder name, for validation).</remarks>
    public static IReadOnlyList<string> Build(string vmName, VirtParams vmParams, QemuBinary binary, QemuRuntimePaths paths, string? incoming,
        IReadOnlyDictionary<string, int>? hostPorts = null, IReadOnlyDictionary<string, string>? taps = null)
    {
        var b = new QemuCommandLine(vmName, vmParams, binary)
        {
            _hostPorts = hostPorts ?? new Dictionary<string, int>(),
            _taps = taps ?? new Dictionary<string, string>(),
        };
        b.BuildAll(paths, incoming);
        return b._args;
    }

    private void Add(params string[] args) => _args.AddRange(args);

    private void BuildAll(QemuRuntimePaths paths, string? incoming)
    {
        Add("-name", "guest=" + Escape(_vm) + ",debug-threads=on");
        Add("-nodefaults", "-no-user-config");
        // Always start with stopped CPUs: the framework connects its monitor first and then
        // continues the VM, so no early event or console output is missed.
        Add("-S");
        Machine();
        Add("-m", _read.MemoryMB.ToString(CultureInfo.InvariantCulture));
        Add("-smp", _read.Cpus.ToString(CultureInfo.InvariantCulture));
        if (_p.Get("cpu_model") is { Length: > 0 } cpu) Add("-cpu", cpu);
        Add("-pidfile", paths.PidFile);
        Add("-chardev", $"socket,id=qmp_monitor,path={Escape(paths.QmpSocket)},server=on,wait=off", "-mon", "chardev=qmp_monitor,mode=control");
        ExtraMonitors(paths);
        Add("-chardev", $"socket,id=serial0,path={Escape(paths.SerialSocket)},server=on,wait=off,logfile={Escape(paths.ConsoleLog)},logappend=on",
            "-serial", "chardev:serial0");
        Display(paths);
        Kernel();
        // An entropy source: without one a small guest's first SSH handshake waits for its random pool.
        if (_read.Flag("virtio_rng")) Add("-device", "virtio-rng-pci,id=rng0");
        Images();
        Cdroms();
        Nics();
        if (incoming is not null) Add("-incoming", incoming);
        if (_p.Get("extra_params") is { Length: > 0 } extra) _args.AddRange(SplitArguments(extra));
    }

    private void Machine()
    {
        var machine = _read.Value("machine_type", VmDefaults.MachineType);
        if (!_bin.HasMachine(machine))
            throw new VmParamException(_vm, "machine_type", machine, $"{_bin.Path} has no such machine type", _bin.MachineTypes);
        Add("-machine", machine);
        // KVM only when asked for: a /dev/kvm node can exist without working (nested
        // hosts), and a guest that silently never boots is worse than a slow one.
        var accel = _p.Get("accel") is { Length: > 0 } a ? a
            : _read.Flag("enable_kvm") ? "kvm" : "tcg";
        if (accel is not ("kvm" or "tcg"))
            throw new VmParamException(_vm, "accel", accel, "unknown accelerator", new[] { "kvm", "tcg" });
        Add("-accel", accel);
    }

    private void ExtraMonitors(QemuRuntimePaths paths)
    {
        foreach (var mon in _p.Objects("monitors"))
        {
            var mp = _p.ObjectParams(mon);
            var type = mp.Get("monitor_type") is { Length: > 0 } t ? t : "qmp";
            if (!MonitorTypes.Contains(type))
                throw new VmParamException(_vm, "monitor_type_" + mon, type, "unknown monitor type", MonitorTypes);
            var id = "mon_" + SafeId(mon);
            var socket = Path.Combine(paths.Directory, $"monitor-{SafeId(mon)}.sock");
            Add("-chardev", $"socket,id={id},path={Escape(socket)},server=on,wait=off",
                "-mon", $"chardev={id},mode={(type == "qmp" ? "control" : "readline")}");
        }
    }

    private void Display(QemuRuntimePaths paths)
    {
        var vga = Value("vga", "std");
        if (!VgaDevices.TryGetValue(vga, out var device))
            throw new VmParamException(_vm, "vga", vga, "unknown VGA type", VgaDevices.Keys.ToList());
        if (device.Length > 0)
        {
            if (!_bin.HasDevice(device))
                throw new VmParamException(_vm, "vga", vga, $"{_bin.Path} has no {device} device", VgaDevices.Where(kv => kv.Value.Length == 0 || _bin.HasDevice(kv.Value)).Select(kv => kv.Key).ToList());
            Add("-device", device + ",id=video0");
        }
        var display = Value("display", "none");
        switch (display)
        {
            case "none":
                Add("-display", "none");
                break;
            case "vnc":
                Add("-display", "vnc=unix:" + Path.Combine(paths.Directory, "vnc.sock"));
                break;
            default:
                throw new VmParamException(_vm, "display", display, "not a display the framework can run headless", Displays);
        }
    }

    private void Kernel()
    {
        if (_read.Kernel is not { } boot) return;
        Add("-kernel", boot.Kernel);
        if (boot.Initrd is not null) Add("-initrd", boot.Initrd);
        if (boot.CommandLine is not null) Add("-append", boot.CommandLine);
    }

    private void Images()
    {
        var needsScsi = false;
        var drives = new List<string[]>();
        foreach (var image in _read.Images)
        {
            var driveFormat = image.DriveFormat ?? "virtio";
            var device = DriveFormatDevices.TryGetValue(driveFormat, out var mapped) ? mapped : driveFormat;
            if (!_bin.HasDevice(device))
                throw new VmParamException(_vm, "drive_format_" + image.Name, driveFormat, "not a block device model of " + _bin.Path, DriveFormatDevices.Keys.ToList());
            if (device == "scsi-hd") needsScsi = true;
            var id = SafeId(image.Name);
            var drive = $"file={Escape(_read.ExistingImage(image))},if=none,id=drive_{id},format={Escape(image.Format)}";
            if (image.Cache is { } cache) drive += ",cache=" + Escape(cache);
            if (image.Snapshot) drive += ",snapshot=on";
            if (image.ReadOnly) drive += ",readonly=on";
            drives.Add(new[] { "-drive", drive, "-device", $"{device},drive=drive_{id},id={id}" + (image.Params.Get("drive_index") is { Length: > 0 } idx && device == "ide-hd" ? ",unit=" + idx : "") });
        }
        if (needsScsi) AddScsiController();
        foreach (var d in drives) _args.AddRange(d);
    }

    private bool _scsiController;

    private void AddScsiController()
    {
        if (_scsiController) return;
        Add("-device", "virtio-scsi-pci,id=scsi0");
        _scsiController = true;
    }

    /// <summary>CD-ROM drives (<c>cdroms</c>): read-only, empty or with the ISO of <c>cdrom_&lt;name&gt;</c>, on IDE, AHCI or SCSI.</summary>
    private void Cdroms()
    {
        var ahciPort = 0;
        foreach (var cd in _read.Cdroms)
        {
            var id = SafeId(cd.Name);
            var drive = $"if=none,id=drive_{id},media=cdrom,readonly=on";
            if (cd.Iso is { } iso) drive += $",file={Escape(iso)},format=raw";
            var device = cd.Bus switch
            {
                "scsi" => "scsi-cd",
                _ => "ide-cd",
            };
            var deviceArg = $"{device},drive=drive_{id},id={id}";
            if (cd.Bus == "scsi") AddScsiController();
            if (cd.Bus == "ahci")
            {
                // An AHCI controller of its own (the pc machine has none; q35's built-in one is ide.N).
                if (ahciPort == 0) Add("-device", "ahci,id=ahci0");
                deviceArg += string.Create(CultureInfo.InvariantCulture, $",bus=ahci0.{ahciPort++}");
            }
            Add("-drive", drive, "-device", deviceArg);
        }
    }

    private void Nics()
    {
        var networkModels = _bin.DeviceNames("Network devices");
        var nics = _read.Nics;
        foreach (var nicSpec in nics)
        {
            var nic = nicSpec.Name;
            var np = nicSpec.Params;
            var model = nicSpec.Model ?? "virtio-net-pci";
            var device = NicModelAliases.TryGetValue(model, out var alias) ? alias : model;
            var known = _bin.DevicesByName.TryGetValue(device, out var found) && found.Category == "Network devices";
            if (!known)
                throw new VmParamException(_vm, "nic_model", model, $"{_bin.Path} has no such network device", networkModels.Concat(NicModelAliases.Keys).OrderBy(x => x, StringComparer.Ordinal).ToList());
            var id = SafeId(nic);
            var attachment = NicAttachment.Read(_vm, nicSpec);
            var netType = attachment.NetType;
            if (!NetTypes.Contains(netType))
                throw new VmParamException(_vm, "nettype", netType, "not a network type the QEMU backend can set up (a libvirt network needs vm_type = libvirt)", NetTypes);
            var deviceArg = $"{device},id={id}";
            if (netType == "bridge")
            {
                var tap = _taps.TryGetValue(nic, out var t) ? t : InterfaceName.ForTap(_vm, nic, "00");
                var netdev = $"tap,id=netdev_{id},ifname={tap},script=no,downscript=no";
                if (attachment.Vhost is { } vhost) netdev += vhost ? ",vhost=on" : ",vhost=off";
                if (attachment.Queues > 1)
                {
                    if (device != "virtio-net-pci")
                        throw new VmParamException(_vm, "queues_" + nic, attachment.Queues.ToString(CultureInfo.InvariantCulture), $"multi-queue needs nic_model virtio-net-pci (NIC {nic} is {device})");
                    netdev += string.Create(CultureInfo.InvariantCulture, $",queues={attachment.Queues}");
                    // One MSI-X vector per queue of each direction, one for config, one for control.
                    deviceArg += string.Create(CultureInfo.InvariantCulture, $",mq=on,vectors={2 * attachment.Queues + 2}");
                }
                Add("-netdev", netdev);
                deviceArg += ",netdev=netdev_" + id;
            }
            if (netType == "user")
            {
                var netdev = $"user,id=netdev_{id}";
                if (nicSpec == nics[0])
                {
                    // Redirections go on the first user-mode NIC, bound to loopback only.
                    foreach (var (redir, guestPort) in Redirections(_p))
                    {
                        var hostPort = _hostPorts.TryGetValue(redir, out var hp) ? hp : 0;
                        netdev += string.Create(CultureInfo.InvariantCulture, $",hostfwd=tcp:127.0.0.1:{hostPort}-:{guestPort}");
                    }
                }
                if (np.Get("hostfwd") is { Length: > 0 } fwd)
                {
                    foreach (var rule in fwd.Split(' ', StringSplitOptions.RemoveEmptyEntries)) netdev += ",hostfwd=" + Escape(rule);
                }
                Add("-netdev", netdev);
                deviceArg += ",netdev=netdev_" + id;
            }
            if (nicSpec.Mac is { } mac) deviceArg += ",mac=" + Escape(mac);
            Add("-device", deviceArg);
        }
    }

    private string Value(string key, string fallback) => _read.Value(key, fallback);

    internal static string SafeId(string name)
    {
        var sb = new StringBuilder();
        foreach (var c in name) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        return sb.ToString();
    }

    /// <summary>QEMU's option syntax: a comma inside a value is written twice.</summary>
    public static string Escape(string value) => value.Replace(",", ",,", StringComparison.Ordinal);

    /// <summary>Splits <c>extra_params</c> into arguments (see <see cref="ShellWords.Split"/>).</summary>
    public static IReadOnlyList<string> SplitArguments(string text) => ShellWords.Split(text);
}
