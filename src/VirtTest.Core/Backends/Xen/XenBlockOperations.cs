using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using VirtTest.Core.Monitor;
using VirtTest.Core.Storage;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// Disks of one Xen domain through xl: the domain's disks from <c>xl list -l</c> (its libxl
/// configuration as JSON: <c>pdev_path</c>, <c>vdev</c>, <c>format</c>, <c>readwrite</c>),
/// hot-plug with <c>xl block-attach</c> (a PV disk, <c>xvdX</c>; spec string as in
/// xl-disk-configuration(5), <c>target=</c> last) and <c>xl block-detach</c>. A disk's id is
/// its virtual device name. xl has no live snapshots or block jobs.
/// </summary>
internal sealed partial class XenBlockOperations : IVmDisks
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private readonly XlToolstack _xl;
    private readonly string _domain;
    private readonly QemuImg _qemuImg = new();

    public XenBlockOperations(XlToolstack xl, string domain)
    {
        _xl = xl;
        _domain = domain;
    }

    [GeneratedRegex("^xvd[a-z]{1,2}$", RegexOptions.CultureInvariant)]
    private static partial Regex PvVdev();

    public async Task<IReadOnlyList<BlockDevice>> GetBlockDevicesAsync(CancellationToken ct)
    {
        var output = await _xl.RunAsync(new[] { "list", "-l", _domain }, ct).ConfigureAwait(false);
        var disks = ParseDisks(output);
        var result = new List<BlockDevice>();
        foreach (var d in disks)
        {
            // xl does not say the size: the image does (read beside the running domain).
            long size = 0;
            if (d.File is { } file) size = await SizeOfAsync(file, d.Format, ct).ConfigureAwait(false);
            result.Add(d with { Size = size });
        }
        return result;
    }

    private bool Remote => _xl.Runner.RemoteHost is not null;

    private async Task<long> SizeOfAsync(string file, string? format, CancellationToken ct)
    {
        if (!Remote)
        {
            if (!File.Exists(file)) return 0;
            try { return (await _qemuImg.GetInfoAsync(file, format, forceShare: true, ct).ConfigureAwait(false)).VirtualSize; }
            catch (StorageException) { return 0; }
        }
        // No qemu-img on a Xen host to rely on: the header says it for the formats read here.
        var probe = await _xl.Runner.ProbeFileAsync(file, HostImageHeader.Length, ct).ConfigureAwait(false);
        return probe is null ? 0 : HostImageHeader.VirtualSize(probe, format) ?? 0;
    }

    /// <summary>The disks of <c>xl list -l</c>'s JSON (an array of domains, each with config.disks).</summary>
    internal static IReadOnlyList<BlockDevice> ParseDisks(string json)
    {
        JsonNode? doc;
        try { doc = JsonNode.Parse(json); }
        catch (JsonException ex) { throw new MonitorException($"'xl list -l' printed no JSON that could be read: {ex.Message}", ex); }
        var domain = doc is JsonArray a ? a.FirstOrDefault() as JsonObject : doc as JsonObject;
        var disks = domain?["config"]?["disks"] as JsonArray;
        var result = new List<BlockDevice>();
        foreach (var disk in disks?.OfType<JsonObject>() ?? Enumerable.Empty<JsonObject>())
        {
            if (Int(disk, "is_cdrom") == 1) continue;
            var vdev = Str(disk, "vdev") ?? "";
            result.Add(new BlockDevice
            {
                Id = vdev,
                NodeName = vdev,
                File = Str(disk, "pdev_path"),
                Format = Str(disk, "format"),
                // libxl leaves defaults (0) out of its JSON: no readwrite means read-only.
                ReadOnly = Int(disk, "readwrite") != 1,
                Removable = Int(disk, "removable") == 1,
                Bus = vdev.StartsWith("xvd", StringComparison.Ordinal) ? "xen" : vdev.StartsWith("hd", StringComparison.Ordinal) ? "ide" : vdev.StartsWith("sd", StringComparison.Ordinal) ? "scsi" : null,
            });
        }
        return result;
    }

    public async Task<BlockDevice> AddDiskAsync(DiskSpec spec, TimeSpan timeout, CancellationToken ct)
    {
        if (spec.Bus != DiskBus.Virtio)
            throw new NotSupportedByBackendException(XenBackend.BackendName, VmCapability.DiskHotplug, $"only paravirtual disks (xvdX) hot-plug on Xen, not {spec.Bus}: use the Virtio bus");
        var deadline = DateTime.UtcNow + timeout;
        string path, format;
        if (!Remote)
        {
            path = Path.GetFullPath(spec.Path);
            if (!File.Exists(path)) throw new ImageNotFoundException(path);
            format = spec.Format ?? (await _qemuImg.GetInfoAsync(path, null, forceShare: true, ct).ConfigureAwait(false)).Format;
        }
        else
        {
            // xl block-attach opens the path on the Xen host, as libvirt does with a remote URI:
            // the image is the host's file, not a copy of one of this machine.
            path = spec.Path;
            if (!path.StartsWith('/'))
                throw new ArgumentException($"On the Xen host {_xl.Host} a disk's path is a path on that host and must be absolute, not '{path}'.", nameof(spec));
            var probe = await _xl.Runner.ProbeFileAsync(path, HostImageHeader.Length, ct).ConfigureAwait(false)
                ?? throw ImageNotFoundException.OnHost(path, _xl.Host!);
            format = spec.Format ?? HostImageHeader.Format(probe);
        }
        if (!XenDomainConfig.DiskFormats.Contains(format)) throw new UnsupportedImageFormatException(path, format, "disks on Xen");
        var existing = await GetBlockDevicesAsync(ct).ConfigureAwait(false);
        string vdev;
        if (spec.Id is { } id)
        {
            if (!PvVdev().IsMatch(id)) throw new ArgumentException($"On Xen a disk's id is its virtual device (xvdb, xvdc, ...), not '{id}'.", nameof(spec));
            if (existing.Any(d => d.Id == id)) throw new MonitorException($"Domain '{_domain}' already has a disk {id}.");
            vdev = id;
        }
        else
        {
            vdev = Enumerable.Range(0, 26).Select(i => "xvd" + (char)('a' + i)).FirstOrDefault(v => existing.All(d => d.Id != v))
                ?? throw new MonitorException($"Domain '{_domain}' has no free xvdX device left.");
        }
        if (path.Contains('\n')) throw new ArgumentException($"'{path}' cannot be given to xl (a line break).", nameof(spec));
        // target= last: xl-disk-configuration(5) takes the rest of the spec as the path, commas included.
        var diskSpec = $"format={format},vdev={vdev},access={(spec.ReadOnly ? "ro" : "rw")},target={path}";
        await _xl.RunAsync(new[] { "block-attach", _domain, diskSpec }, ct, timeout).ConfigureAwait(false);
        while (true)
        {
            var found = (await GetBlockDevicesAsync(ct).ConfigureAwait(false)).FirstOrDefault(d => d.Id == vdev);
            if (found is not null) return found;
            if (DateTime.UtcNow >= deadline) throw new MonitorTimeoutException($"disk {vdev} to appear in 'xl list -l {_domain}'", timeout);
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }

    // xl has no live snapshots or block jobs.
    public Task<BlockDevice> SnapshotDiskAsync(DiskSnapshotSpec spec, CancellationToken ct) => throw NoJobs(VmCapability.LiveSnapshot);
    public Task<BlockJob> StartBlockJobAsync(BlockJobSpec spec, CancellationToken ct) => throw NoJobs(VmCapability.BlockJobs);
    public Task<IReadOnlyList<BlockJob>> GetBlockJobsAsync(CancellationToken ct) => throw NoJobs(VmCapability.BlockJobs);
    public Task<BlockJob> WaitForBlockJobAsync(string jobId, bool untilReady, IProgress<BlockJob>? progress, TimeSpan timeout, CancellationToken ct) => throw NoJobs(VmCapability.BlockJobs);
    public Task CompleteBlockJobAsync(string jobId, TimeSpan timeout, CancellationToken ct) => throw NoJobs(VmCapability.BlockJobs);
    public Task CancelBlockJobAsync(string jobId, TimeSpan timeout, CancellationToken ct) => throw NoJobs(VmCapability.BlockJobs);

    private static NotSupportedByBackendException NoJobs(VmCapability capability) => new(XenBackend.BackendName, capability, "xl has no live snapshots or block jobs");

    public async Task RemoveDiskAsync(string id, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        var disks = await GetBlockDevicesAsync(ct).ConfigureAwait(false);
        if (disks.All(d => d.Id != id)) throw new BlockDeviceNotFoundException(_domain, "disk", id, disks.Select(d => d.Id).ToList());
        // Without -f, xl waits for the guest's frontend to let go.
        await _xl.RunAsync(new[] { "block-detach", _domain, id }, ct, timeout).ConfigureAwait(false);
        while ((await GetBlockDevicesAsync(ct).ConfigureAwait(false)).Any(d => d.Id == id))
        {
            if (DateTime.UtcNow >= deadline) throw new MonitorTimeoutException($"disk {id} to leave 'xl list -l {_domain}'", timeout);
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }

    private static string? Str(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>A number (libxl writes flags as 0/1; true/false is read too); 0 when missing.</summary>
    private static long Int(JsonObject o, string name) => o[name] switch
    {
        JsonValue v when v.TryGetValue<long>(out var n) => n,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? 1 : 0,
        _ => 0,
    };
}
