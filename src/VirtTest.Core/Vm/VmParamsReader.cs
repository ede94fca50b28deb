using System.Globalization;
using VirtTest.Core.Config;

namespace VirtTest.Core.Vm;

/// <summary>A direct kernel boot: absolute paths, checked to exist.</summary>
public sealed record DirectKernelBoot(string Kernel, string? Initrd, string? CommandLine);

/// <summary>One disk of a VM (<c>images</c>), with its own params and its file resolved.</summary>
public sealed record VmImage(string Name, VirtParams Params, string Path, string Format)
{
    /// <summary><c>drive_format</c> as written, or null (each backend has its own default bus).</summary>
    public string? DriveFormat => Params.Get("drive_format") is { Length: > 0 } f ? f : null;

    /// <summary><c>image_snapshot = yes</c>: changes are thrown away when the VM stops.</summary>
    public bool Snapshot => VmParamsReader.IsYes(Params.Get("image_snapshot"));

    /// <summary><c>image_readonly = yes</c>.</summary>
    public bool ReadOnly => VmParamsReader.IsYes(Params.Get("image_readonly"));

    /// <summary><c>drive_cache</c>, or null.</summary>
    public string? Cache => Params.Get("drive_cache") is { Length: > 0 } c ? c : null;
}

/// <summary>
/// One CD-ROM drive of a VM (<c>cdroms</c>): its ISO (<c>cdrom_&lt;name&gt;</c>, absolute and checked
/// to exist; null for an empty drive) and its bus (<c>cd_format_&lt;name&gt;</c> as the reference
/// names it, or <c>drive_format_&lt;name&gt;</c>; ide by default). Always read-only.
/// </summary>
public sealed record VmCdrom(string Name, VirtParams Params, string? Iso, string Bus)
{
    /// <summary>The buses every backend maps: IDE (the pc machine's PIIX), AHCI/SATA, SCSI (on virtio-scsi).</summary>
    public static readonly IReadOnlyList<string> Buses = new[] { "ide", "ahci", "scsi" };
}

/// <summary>One network card of a VM (<c>nics</c>), with its own params.</summary>
public sealed record VmNic(string Name, VirtParams Params)
{
    /// <summary><c>nic_model</c> as written, or null (each backend has its own default model).</summary>
    public string? Model => Params.Get("nic_model") is { Length: > 0 } m ? m : null;

    /// <summary><c>nettype</c> as written, or null.</summary>
    public string? NetType => Params.Get("nettype") is { Length: > 0 } t ? t : null;

    /// <summary><c>mac</c>, or null when the pool assigns one.</summary>
    public string? Mac => Params.Get("mac") is { Length: > 0 } m ? m : null;

    /// <summary><c>netdst</c> (bridge or network), or null.</summary>
    public string? NetDst => Params.Get("netdst") is { Length: > 0 } d ? d : null;

    /// <summary><c>netdst_netns</c>: the network namespace the bridge <c>netdst</c> is in (a test network's), or null for the host's.</summary>
    public string? NetDstNamespace => Params.Get("netdst_netns") is { Length: > 0 } n ? n : null;
}

/// <summary>
/// Reads the params every backend reads the same way (memory, CPUs, direct kernel boot,
/// disks, NICs, timeouts), with the defaults of <see cref="VmDefaults"/> and one error for a
/// bad value: a <see cref="VmParamException"/> naming the VM, the param and the value. Backends
/// keep only what is theirs (device models, buses, display).
/// </summary>
public sealed class VmParamsReader
{
    public VmParamsReader(string vmName, VirtParams vmParams)
    {
        VmName = vmName;
        Params = vmParams;
    }

    public string VmName { get; }
    public VirtParams Params { get; }

    /// <summary>The value, or <paramref name="fallback"/> when the param is unset or empty.</summary>
    public string Value(string key, string fallback) => Params.Get(key) is { Length: > 0 } v ? v : fallback;

    /// <summary>The value, or null when the param is unset or empty.</summary>
    public string? Optional(string key) => Params.Get(key) is { Length: > 0 } v ? v : null;

    /// <summary>A yes/no param (the reference's words: yes/no, true/false, on/off, any case); unset or empty gives <paramref name="fallback"/>.</summary>
    public bool Flag(string key, bool fallback = false)
    {
        try { return Params.GetBool(key, fallback); }
        catch (ParamValueException ex) { throw new VmParamException(VmName, key, ex.Value, "not a yes/no value (yes/no, true/false, on/off)"); }
    }

    /// <summary>A whole number above zero.</summary>
    public int PositiveInt(string key, int fallback)
    {
        var text = Value(key, fallback.ToString(CultureInfo.InvariantCulture));
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n <= 0)
            throw new VmParamException(VmName, key, text, "not a positive whole number");
        return n;
    }

    /// <summary>A number of seconds (fractions allowed) above zero.</summary>
    public TimeSpan Seconds(string key, TimeSpan fallback)
    {
        if (Optional(key) is not { } text) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) || s <= 0 || double.IsInfinity(s))
            throw new VmParamException(VmName, key, text, "not a positive number of seconds");
        return TimeSpan.FromSeconds(s);
    }

    /// <summary>One of <paramref name="choices"/>; another value fails with the choices.</summary>
    public string Choice(string key, string fallback, IReadOnlyList<string> choices, string problem)
    {
        var value = Value(key, fallback);
        if (!choices.Contains(value, StringComparer.Ordinal)) throw new VmParamException(VmName, key, value, problem, choices);
        return value;
    }

    /// <summary>The absolute path of a file that must exist.</summary>
    public string ExistingFile(string param, string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new VmParamException(VmName, param, path, "no such file");
        return full;
    }

    /// <summary>An executable by absolute path, or looked up in PATH.</summary>
    public string Executable(string param, string name)
    {
        if (System.IO.Path.IsPathRooted(name)) return ExistingFile(param, name);
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new VmParamException(VmName, param, name, "not found in PATH");
    }

    /// <summary>Memory in MiB (<c>mem</c>).</summary>
    public int MemoryMB => PositiveInt("mem", VmDefaults.MemoryMB);

    /// <summary>Virtual CPUs (<c>smp</c>).</summary>
    public int Cpus => PositiveInt("smp", VmDefaults.Cpus);

    /// <summary>How long to wait for the guest to be ready or to accept a login (<c>login_timeout</c>).</summary>
    public TimeSpan LoginTimeout => Seconds("login_timeout", VmDefaults.LoginTimeout);

    /// <summary>How long a graceful stop waits (<c>kill_vm_timeout</c>).</summary>
    public TimeSpan StopTimeout => Seconds("kill_vm_timeout", VmDefaults.StopTimeout);

    /// <summary>What the guest prints on its serial console once it is up (<c>ready_pattern</c>), or null.</summary>
    public string? ReadyPattern => Optional("ready_pattern");

    /// <summary>
    /// The direct kernel boot (<c>kernel</c>, <c>initrd</c>, <c>kernel_params</c>), or null when the
    /// VM boots from its disks. An initrd without a kernel is an error.
    /// </summary>
    public DirectKernelBoot? Kernel
    {
        get
        {
            var kernel = Optional("kernel");
            var initrd = Optional("initrd");
            if (kernel is null)
            {
                if (initrd is not null) throw new VmParamException(VmName, "initrd", initrd, "an initrd needs a kernel (param kernel is not set)");
                return null;
            }
            return new DirectKernelBoot(ExistingFile("kernel", kernel), initrd is null ? null : ExistingFile("initrd", initrd), Optional("kernel_params"));
        }
    }

    /// <summary>
    /// The disks (<c>images</c>), each file resolved by <see cref="ImageFile"/> to an absolute path
    /// (not checked here: a backend checks its own rules first, then <see cref="ExistingImage"/>).
    /// </summary>
    public IReadOnlyList<VmImage> Images => Params.Objects("images").Select(image =>
    {
        var ip = Params.ObjectParams(image);
        return new VmImage(image, ip, System.IO.Path.GetFullPath(ImageFile.PathOf(ip, VmName, image)), ImageFile.Format(ip));
    }).ToList();

    /// <summary>The image's file, which must exist (a missing one names the param <c>image_name_&lt;image&gt;</c>).</summary>
    public string ExistingImage(VmImage image) => ExistingFile("image_name_" + image.Name, image.Path);

    /// <summary>The CD-ROM drives (<c>cdroms</c>); a bad ISO path or bus names its param.</summary>
    public IReadOnlyList<VmCdrom> Cdroms => Params.Objects("cdroms").Select(name =>
    {
        var cp = Params.ObjectParams(name);
        string? iso = null;
        if (cp.Get("cdrom") is { Length: > 0 } path)
        {
            var full = System.IO.Path.GetFullPath(HostPath.Expand(VmName, "cdrom_" + name, path));
            if (!File.Exists(full)) throw new VmParamException(VmName, "cdrom_" + name, path, "no such ISO file (leave it empty for an empty drive)");
            iso = full;
        }
        // The drive's own drive_format_<name> only: a VM-wide drive_format is the disks' bus.
        var busParam = cp.Get("cd_format") is { Length: > 0 } ? "cd_format_" + name : "drive_format_" + name;
        var bus = cp.Get("cd_format") is { Length: > 0 } cf ? cf : Params.Get("drive_format_" + name) is { Length: > 0 } df ? df : "ide";
        if (bus == "scsi-cd") bus = "scsi";
        if (bus == "ide-cd") bus = "ide";
        if (!VmCdrom.Buses.Contains(bus)) throw new VmParamException(VmName, busParam, bus, "not a CD-ROM bus", VmCdrom.Buses);
        return new VmCdrom(name, cp, iso, bus);
    }).ToList();

    /// <summary>The network cards (<c>nics</c>).</summary>
    public IReadOnlyList<VmNic> Nics => Params.Objects("nics").Select(nic => new VmNic(nic, Params.ObjectParams(nic))).ToList();

    /// <summary>True for a yes-word (yes, true, on); anything else (unset, no, junk) is false. For params that only switch something on.</summary>
    public static bool IsYes(string? text) => text is not null && ParamValues.IsTrueWord(text);
}
