using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Backends.Qemu;

/// <summary>One device model a QEMU binary offers (from <c>-device help</c>).</summary>
public sealed record QemuDeviceModel(string Name, string Category, string? Bus, string? Alias, string? Description);

/// <summary>
/// What one QEMU binary can do, probed once per binary (path and modification time) and
/// cached for the process: version, machine types, device models. Lets params be checked
/// before QEMU starts, with the valid choices in the error.
/// </summary>
public sealed partial class QemuBinary
{
    private static readonly ConcurrentDictionary<string, Lazy<QemuBinary>> Cache = new(StringComparer.Ordinal);

    private QemuBinary(string path, string version, IReadOnlyList<string> machines, IReadOnlyDictionary<string, string> machineAliases,
        IReadOnlyList<QemuDeviceModel> devices)
    {
        Path = path;
        Version = version;
        MachineTypes = machines;
        MachineAliases = machineAliases;
        Devices = devices;
        var byName = new Dictionary<string, QemuDeviceModel>(StringComparer.Ordinal);
        foreach (var d in devices) byName[d.Name] = d;
        foreach (var d in devices)
        {
            if (d.Alias is { Length: > 0 } alias) byName.TryAdd(alias, d);
        }
        DevicesByName = byName;
    }

    public string Path { get; }
    /// <summary>The version string, e.g. "7.2.22".</summary>
    public string Version { get; }
    public IReadOnlyList<string> MachineTypes { get; }
    /// <summary>Alias → machine type (e.g. pc → pc-i440fx-7.2).</summary>
    public IReadOnlyDictionary<string, string> MachineAliases { get; }
    public IReadOnlyList<QemuDeviceModel> Devices { get; }
    public IReadOnlyDictionary<string, QemuDeviceModel> DevicesByName { get; }

    public bool HasMachine(string machine) => MachineTypes.Contains(machine, StringComparer.Ordinal);
    public bool HasDevice(string model) => DevicesByName.ContainsKey(model);

    /// <summary>Device models of one category of <c>-device help</c> ("Network devices", "Display devices", ...).</summary>
    public IReadOnlyList<string> DeviceNames(string category) =>
        Devices.Where(d => d.Category.Equals(category, StringComparison.OrdinalIgnoreCase)).Select(d => d.Name).ToList();

    /// <summary>Finds a binary on PATH (or takes an absolute path) and probes it, once per process.</summary>
    public static QemuBinary Get(string binary)
    {
        var path = Resolve(binary) ?? throw new FileNotFoundException(
            $"QEMU binary '{binary}' was not found on PATH. Install Debian's qemu-system-x86 (apt-get install qemu-system-x86) or set qemu_binary.", binary);
        var key = path + "|" + File.GetLastWriteTimeUtc(path).Ticks;
        return Cache.GetOrAdd(key, _ => new Lazy<QemuBinary>(() => Probe(path))).Value;
    }

    /// <summary>The full path of a binary name (searched on PATH) or null.</summary>
    public static string? Resolve(string binary)
    {
        if (binary.Contains('/')) return File.Exists(binary) ? System.IO.Path.GetFullPath(binary) : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(dir, binary);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static QemuBinary Probe(string path)
    {
        var versionText = Run(path, "--version");
        var version = VersionRegex().Match(versionText) is { Success: true } m ? m.Groups[1].Value : "unknown";
        var (machines, aliases) = ParseMachines(Run(path, "-machine", "help"));
        var devices = ParseDevices(Run(path, "-device", "help"));
        return new QemuBinary(path, version, machines, aliases, devices);
    }

    internal static (List<string> Machines, Dictionary<string, string> Aliases) ParseMachines(string help)
    {
        var machines = new List<string>();
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in help.Split('\n'))
        {
            var match = MachineLineRegex().Match(line);
            if (!match.Success) continue;
            machines.Add(match.Groups[1].Value);
            var alias = AliasOfRegex().Match(line);
            if (alias.Success) aliases[match.Groups[1].Value] = alias.Groups[1].Value;
        }
        return (machines, aliases);
    }

    internal static List<QemuDeviceModel> ParseDevices(string help)
    {
        var devices = new List<QemuDeviceModel>();
        var category = "";
        foreach (var raw in help.Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.Length == 0) continue;
            if (line.EndsWith(':') && !line.StartsWith("name ", StringComparison.Ordinal))
            {
                category = line[..^1];
                continue;
            }
            var name = DeviceFieldRegex("name").Match(line);
            if (!name.Success) continue;
            devices.Add(new QemuDeviceModel(
                name.Groups[1].Value,
                category,
                BusRegex().Match(line) is { Success: true } bus ? bus.Groups[1].Value : null,
                DeviceFieldRegex("alias").Match(line) is { Success: true } a ? a.Groups[1].Value : null,
                DeviceFieldRegex("desc").Match(line) is { Success: true } d ? d.Groups[1].Value : null));
        }
        return devices;
    }

    private static Regex DeviceFieldRegex(string field) => new($@"\b{field} ""([^""]*)""", RegexOptions.CultureInvariant);

    private static string Run(string path, params string[] args)
    {
        var psi = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {path}.");
        var stderrTask = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(30_000))
        {
            try { process.Kill(true); } catch (InvalidOperationException) { }
            throw new TimeoutException($"{path} {string.Join(' ', args)} did not finish within 30 s.");
        }
        var stderr = stderrTask.Result;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{path} {string.Join(' ', args)} failed with exit code {process.ExitCode}: {stderr.Trim()}");
        return stdout;
    }

    [GeneratedRegex(@"version (\d+\.\d+(?:\.\d+)?)")]
    private static partial Regex VersionRegex();
    [GeneratedRegex(@"^(\S+)\s{2,}\S")]
    private static partial Regex MachineLineRegex();
    [GeneratedRegex(@"\(alias of (\S+?)\)")]
    private static partial Regex AliasOfRegex();
    [GeneratedRegex(@"\bbus (\S+?)(?:,|$)")]
    private static partial Regex BusRegex();
}
