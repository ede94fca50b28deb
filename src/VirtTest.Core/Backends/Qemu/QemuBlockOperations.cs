using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using VirtTest.Core.Monitor;
using VirtTest.Core.Storage;

namespace VirtTest.Core.Backends.Qemu;

/// <summary>
/// Disks and block jobs of one QEMU over QMP: <c>query-block</c>; hot-plug as
/// <c>blockdev-add</c> + <c>device_add</c> (a virtio-scsi or xHCI controller is added first
/// when a SCSI or USB disk needs one) and back as <c>device_del</c> + <c>blockdev-del</c>;
/// live snapshots as an overlay made with <c>qemu-img create -u</c> + <c>blockdev-add</c> +
/// <c>blockdev-snapshot</c>; block jobs as <c>block-stream</c>, <c>block-commit</c> and
/// <c>drive-mirror</c>, followed through <c>query-block-jobs</c> and the
/// <c>BLOCK_JOB_*</c> events (an error in <c>BLOCK_JOB_COMPLETED</c> is a typed failure).
/// </summary>
internal sealed class QemuBlockOperations : IVmDisks
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    /// <summary>Node names of what the framework adds, apart from the disks QEMU got on its command line.</summary>
    internal const string DiskNodePrefix = "vt-disk-";

    private readonly string _vmName;
    private readonly QmpClient _qmp;
    private readonly DeviceIdSequence _ids;
    private readonly QemuImg _qemuImg = new();
    private readonly ConcurrentDictionary<string, JobRecord> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _buses = new(StringComparer.Ordinal);
    /// <summary>Controllers the framework hot-plugged for SCSI and USB disks (bus name → controller id): removed with their last disk.</summary>
    private readonly ConcurrentDictionary<string, string> _addedControllers = new(StringComparer.Ordinal);
    /// <summary>The controller each bus's disks go on, once found or added (bus name → controller id).</summary>
    private readonly ConcurrentDictionary<string, string> _controllers = new(StringComparer.Ordinal);
    /// <summary>Per disk id, the nodes the framework added to its chain (blockdev-add), oldest first: deleted with the disk.</summary>
    private readonly ConcurrentDictionary<string, List<string>> _ownedNodes = new(StringComparer.Ordinal);
    private int _counter;

    private sealed class JobRecord
    {
        public required BlockJobType Type { get; init; }
        public required string Device { get; init; }
        public required long StartSequence { get; init; }
        public volatile bool CancelRequested;
    }

    public QemuBlockOperations(string vmName, QmpClient qmp, DeviceIdSequence ids)
    {
        _vmName = vmName;
        _qmp = qmp;
        _ids = ids;
    }

    private Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments, CancellationToken ct) =>
        _qmp.ExecuteAsync(command, arguments, CommandTimeout, ct);

    // ------------------------------------------------------------------ listing

    public async Task<IReadOnlyList<BlockDevice>> GetBlockDevicesAsync(CancellationToken ct)
    {
        var reply = await ExecuteAsync("query-block", null, ct).ConfigureAwait(false);
        return ParseQueryBlock(reply, _buses);
    }

    /// <summary>query-block's disks that have an image (no CD-ROM drives), by device id (the qdev id; for virtio its parent's).</summary>
    internal static IReadOnlyList<BlockDevice> ParseQueryBlock(JsonNode? reply, IReadOnlyDictionary<string, string>? knownBuses = null)
    {
        var result = new List<BlockDevice>();
        if (reply is not JsonArray entries) return result;
        foreach (var entry in entries.OfType<JsonObject>())
        {
            // CD-ROM drives are listed by QemuCdromOperations (Get-VirtCdrom), as on libvirt.
            if (entry["inserted"] is not JsonObject inserted || QemuCdromOperations.IsCdrom(entry)) continue;
            var qdev = Str(entry, "qdev") ?? "";
            var id = IdFromQdev(qdev) ?? Str(entry, "device") ?? "";
            var image = inserted["image"] as JsonObject;
            string? bus = qdev.EndsWith("/virtio-backend", StringComparison.Ordinal) ? "virtio" : null;
            if (knownBuses is not null && knownBuses.TryGetValue(id, out var known)) bus = known;
            result.Add(new BlockDevice
            {
                Id = id,
                NodeName = Str(inserted, "node-name"),
                File = Str(inserted, "file"),
                Format = Str(inserted, "drv"),
                BackingFile = image is null ? null : Str(image, "full-backing-filename") ?? Str(image, "backing-filename"),
                ReadOnly = inserted["ro"] is JsonValue ro && ro.TryGetValue<bool>(out var r) && r,
                Removable = entry["removable"] is JsonValue rm && rm.TryGetValue<bool>(out var b) && b,
                Size = image?["virtual-size"] is JsonValue vs && vs.TryGetValue<long>(out var size) ? size : 0,
                Bus = bus,
            });
        }
        return result;
    }

    /// <summary>"/machine/peripheral/disk1/virtio-backend" → "disk1"; an id as it is; a path of an id-less device → null.</summary>
    internal static string? IdFromQdev(string qdev)
    {
        const string peripheral = "/machine/peripheral/";
        if (qdev.Length == 0) return null;
        if (qdev.StartsWith(peripheral, StringComparison.Ordinal)) return qdev[peripheral.Length..].Split('/')[0];
        return qdev.StartsWith('/') ? null : qdev;
    }

    private async Task<BlockDevice> FindDiskAsync(string id, CancellationToken ct)
    {
        var devices = await GetBlockDevicesAsync(ct).ConfigureAwait(false);
        return devices.FirstOrDefault(d => d.Id == id) ?? throw new BlockDeviceNotFoundException(_vmName, "disk", id, devices.Select(d => d.Id).ToList());
    }

    // ------------------------------------------------------------------ hot-plug

    public async Task<BlockDevice> AddDiskAsync(DiskSpec spec, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        var path = Path.GetFullPath(spec.Path);
        if (!File.Exists(path)) throw new ImageNotFoundException(path);
        var format = spec.Format ?? (await _qemuImg.GetInfoAsync(path, null, forceShare: true, ct).ConfigureAwait(false)).Format;
        var id = spec.Id ?? _ids.Next();
        var node = DiskNodePrefix + id;
        try
        {
            await ExecuteAsync("blockdev-add", new JsonObject
            {
                ["driver"] = format,
                ["node-name"] = node,
                ["read-only"] = spec.ReadOnly,
                ["file"] = new JsonObject { ["driver"] = "file", ["filename"] = path, ["node-name"] = node + "-file", ["read-only"] = spec.ReadOnly },
            }, ct).ConfigureAwait(false);
        }
        catch (MonitorCommandException ex) when (ex.Description.Contains("lock", StringComparison.Ordinal) && ex.Description.Contains("Failed to get", StringComparison.Ordinal))
        {
            // Another VM (or another disk of this one) uses the image: QEMU's image locking.
            throw new ImageLockedException(path, path, readOnlyAccess: false);
        }
        catch (MonitorCommandException ex) when (ex.Description.Contains("already", StringComparison.OrdinalIgnoreCase) || ex.Description.Contains("Duplicate", StringComparison.Ordinal))
        {
            // The id's node name is taken: a disk with that id was plugged in before (no separate query: one round trip less per plug).
            throw new MonitorException($"VM '{_vmName}' already has a disk with id '{id}' ({ex.Description}).", ex);
        }
        try
        {
            var device = new JsonObject { ["id"] = id, ["drive"] = node };
            switch (spec.Bus)
            {
                case DiskBus.Virtio:
                    device["driver"] = "virtio-blk-pci";
                    break;
                case DiskBus.Scsi:
                    device["driver"] = "scsi-hd";
                    device["bus"] = await EnsureControllerAsync("scsi", "virtio-scsi-pci", "vt-scsi0", deadline, timeout, ct).ConfigureAwait(false) + ".0";
                    break;
                case DiskBus.Usb:
                    device["driver"] = "usb-storage";
                    device["bus"] = await EnsureControllerAsync("usb", "qemu-xhci", "vt-usb0", deadline, timeout, ct).ConfigureAwait(false) + ".0";
                    break;
            }
            if (spec.Serial is { Length: > 0 } serial) device["serial"] = serial;
            await _qmp.ExecuteAsync("device_add", device, PciDeviceWait.Remaining(deadline), ct).ConfigureAwait(false);
        }
        catch
        {
            // Nothing half-plugged: the image node goes again (its file with it).
            try { await ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = node }, CancellationToken.None).ConfigureAwait(false); }
            catch (MonitorException) { /* the original error says more */ }
            throw;
        }
        _buses[id] = spec.Bus.ToString().ToLowerInvariant();
        Own(id, node);
        // device_add returns once the device exists; the disk counts as plugged once query-block lists it on the device.
        while (true)
        {
            var found = (await GetBlockDevicesAsync(ct).ConfigureAwait(false)).FirstOrDefault(d => d.Id == id);
            if (found is not null) return found;
            if (DateTime.UtcNow >= deadline) throw new MonitorTimeoutException($"disk '{id}' to appear in query-block", timeout);
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The id of a controller of <paramref name="driver"/>: an existing one, or one hot-plugged now as <paramref name="newId"/>.</summary>
    private async Task<string> EnsureControllerAsync(string bus, string driver, string newId, DateTime deadline, TimeSpan timeout, CancellationToken ct)
    {
        // Known from an earlier disk on this bus: no qom-list per plug.
        if (_controllers.TryGetValue(bus, out var known)) return known;
        var found = await FindOrAddControllerAsync(bus, driver, newId, deadline, timeout, ct).ConfigureAwait(false);
        _controllers[bus] = found;
        return found;
    }

    private async Task<string> FindOrAddControllerAsync(string bus, string driver, string newId, DateTime deadline, TimeSpan timeout, CancellationToken ct)
    {
        var peripherals = await ExecuteAsync("qom-list", new JsonObject { ["path"] = "/machine/peripheral" }, ct).ConfigureAwait(false) as JsonArray;
        var existing = peripherals?.OfType<JsonObject>().FirstOrDefault(p => Str(p, "type") == $"child<{driver}>");
        if (existing is not null) return Str(existing, "name")!;
        await _qmp.ExecuteAsync("device_add", new JsonObject { ["driver"] = driver, ["id"] = newId }, PciDeviceWait.Remaining(deadline), ct).ConfigureAwait(false);
        _addedControllers[bus] = newId;
        await PciDeviceWait.UntilListedAsync(async c => QmpPciList.Parse(await ExecuteAsync("query-pci", null, c).ConfigureAwait(false)),
            newId, driver, deadline, timeout, ct).ConfigureAwait(false);
        return newId;
    }

    /// <summary>
    /// A controller the framework added goes with its last disk, so the VM's devices are those of
    /// its params again (a migration's destination is started from them). Best effort: a guest
    /// that does not release the controller (one without a driver for it, such as a kernel
    /// without xHCI) keeps it, and a later migration says so.
    /// </summary>
    private async Task RemoveIdleControllerAsync(string bus, DateTime deadline, CancellationToken ct)
    {
        if (!_addedControllers.TryGetValue(bus, out var controller) || _buses.Values.Contains(bus)) return;
        var after = _qmp.Events.LastSequence;
        try
        {
            await _qmp.ExecuteAsync("device_del", new JsonObject { ["id"] = controller }, PciDeviceWait.Remaining(deadline), ct).ConfigureAwait(false);
            var wait = TimeSpan.FromTicks(Math.Min(PciDeviceWait.Remaining(deadline).Ticks, ControllerReleaseWait.Ticks));
            await _qmp.Events.WaitForEventAsync("DEVICE_DELETED", e => Str(e.Data, "device") == controller, after, wait, ct).ConfigureAwait(false);
            _addedControllers.TryRemove(bus, out _);
            _controllers.TryRemove(bus, out _);
        }
        catch (MonitorException)
        {
            // Not released (yet), or an unplug already pending: the controller stays.
        }
    }

    private static readonly TimeSpan ControllerReleaseWait = TimeSpan.FromSeconds(15);

    public async Task RemoveDiskAsync(string id, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        await FindDiskAsync(id, ct).ConfigureAwait(false);
        var after = _qmp.Events.LastSequence;
        await _qmp.ExecuteAsync("device_del", new JsonObject { ["id"] = id }, PciDeviceWait.Remaining(deadline), ct).ConfigureAwait(false);
        try
        {
            await _qmp.Events.WaitForEventAsync("DEVICE_DELETED", e => Str(e.Data, "device") == id, after, PciDeviceWait.Remaining(deadline), ct).ConfigureAwait(false);
        }
        catch (MonitorTimeoutException)
        {
            throw new MonitorTimeoutException($"DEVICE_DELETED for disk '{id}' (the guest did not release it; does it handle hot-unplug of this bus?)", timeout);
        }
        _buses.TryRemove(id, out var removedBus);
        // A disk from the command line (-drive) goes with its device; the nodes the framework
        // added (a hot-plugged image, live-snapshot overlays) are deleted here, the top one first.
        if (_ownedNodes.TryRemove(id, out var owned))
        {
            List<string> nodes;
            lock (owned) nodes = owned.AsEnumerable().Reverse().ToList();
            foreach (var node in nodes)
                await ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = node }, ct).ConfigureAwait(false);
        }
        if (removedBus is not null) await RemoveIdleControllerAsync(removedBus, deadline, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// After a job changed a disk's chain (pivot, commit, stream), the framework's nodes that left
    /// it are deleted, so their files are no longer held; a node still in the chain refuses and stays.
    /// </summary>
    private async Task ReleaseLeftNodesAsync(string diskId, CancellationToken ct)
    {
        if (!_ownedNodes.TryGetValue(diskId, out var owned)) return;
        string? top;
        try { top = (await GetBlockDevicesAsync(ct).ConfigureAwait(false)).FirstOrDefault(d => d.Id == diskId)?.NodeName; }
        catch (MonitorException) { return; }
        List<string> nodes;
        lock (owned) nodes = owned.AsEnumerable().Reverse().ToList();
        foreach (var node in nodes.Where(n => n != top))
        {
            try
            {
                await ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = node }, ct).ConfigureAwait(false);
                lock (owned) owned.Remove(node);
            }
            catch (MonitorCommandException)
            {
                // Still a backing file of the chain: it stays.
            }
        }
    }

    private void Own(string diskId, string node)
    {
        var list = _ownedNodes.GetOrAdd(diskId, _ => new List<string>());
        lock (list) list.Add(node);
    }

    // ------------------------------------------------------------------ live snapshot

    internal const string SnapshotNodePrefix = "vt-snap-";

    public async Task<BlockDevice> SnapshotDiskAsync(DiskSnapshotSpec spec, CancellationToken ct)
    {
        var disk = await FindDiskAsync(spec.Device, ct).ConfigureAwait(false);
        var overlay = Path.GetFullPath(spec.OverlayPath);
        if (File.Exists(overlay)) throw new ImageExistsException(overlay);
        if (disk.File is null || disk.Format is null || disk.NodeName is null)
            throw new MonitorException($"VM '{_vmName}': disk '{spec.Device}' has no image file to take a snapshot of.");
        // The VM holds the current image: the overlay is made without opening it (-u), with its size and format.
        await _qemuImg.CreateAsync(overlay, new ImageCreateOptions
        {
            Format = spec.Format,
            Size = disk.Size.ToString(CultureInfo.InvariantCulture),
            BackingFile = disk.File,
            BackingFormat = disk.Format,
            UnsafeBacking = true,
        }, overwrite: false, ct).ConfigureAwait(false);
        var node = SnapshotNodePrefix + Interlocked.Increment(ref _counter).ToString(CultureInfo.InvariantCulture);
        var added = false;
        try
        {
            await ExecuteAsync("blockdev-add", new JsonObject
            {
                ["driver"] = spec.Format,
                ["node-name"] = node,
                ["file"] = new JsonObject { ["driver"] = "file", ["filename"] = overlay },
                // The snapshot command attaches the current image as backing; opening it here would take a second write lock.
                ["backing"] = null,
            }, ct).ConfigureAwait(false);
            added = true;
            await ExecuteAsync("blockdev-snapshot", new JsonObject { ["node"] = disk.NodeName, ["overlay"] = node }, ct).ConfigureAwait(false);
            Own(spec.Device, node);
        }
        catch
        {
            if (added)
            {
                try { await ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = node }, CancellationToken.None).ConfigureAwait(false); }
                catch (MonitorException) { }
            }
            try { File.Delete(overlay); } catch (IOException) { }
            throw;
        }
        return await FindDiskAsync(spec.Device, ct).ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ block jobs

    private sealed record NamedNode(string Node, string? File, string? Driver);

    private async Task<IReadOnlyList<NamedNode>> GetNamedNodesAsync(CancellationToken ct)
    {
        var reply = await ExecuteAsync("query-named-block-nodes", new JsonObject { ["flat"] = true }, ct).ConfigureAwait(false) as JsonArray;
        return reply?.OfType<JsonObject>().Select(n => new NamedNode(Str(n, "node-name") ?? "", Str(n, "file"), Str(n, "drv"))).ToList()
            ?? (IReadOnlyList<NamedNode>)Array.Empty<NamedNode>();
    }

    /// <summary>The format node of an image file of a disk's chain, by its path.</summary>
    private async Task<string> NodeOfFileAsync(string file, CancellationToken ct)
    {
        var full = Path.GetFullPath(file);
        var nodes = await GetNamedNodesAsync(ct).ConfigureAwait(false);
        var formatNodes = nodes.Where(n => n.Driver is not ("file" or "host_device" or "host_cdrom")).ToList();
        return formatNodes.FirstOrDefault(n => n.File == full)?.Node
            ?? throw new BlockDeviceNotFoundException(_vmName, "image in a disk's chain", full, formatNodes.Select(n => n.File).OfType<string>().Distinct().ToList());
    }

    public async Task<BlockJob> StartBlockJobAsync(BlockJobSpec spec, CancellationToken ct)
    {
        var disk = await FindDiskAsync(spec.Device, ct).ConfigureAwait(false);
        var jobId = spec.JobId ?? "vt-job" + Interlocked.Increment(ref _counter).ToString(CultureInfo.InvariantCulture);
        var args = new JsonObject { ["job-id"] = jobId, ["device"] = disk.NodeName };
        string command;
        switch (spec.Type)
        {
            case BlockJobType.Stream:
                command = "block-stream";
                if (spec.Base is { } streamBase) args["base-node"] = await NodeOfFileAsync(streamBase, ct).ConfigureAwait(false);
                break;
            case BlockJobType.Commit:
                command = "block-commit";
                if (spec.Top is { } top) args["top-node"] = await NodeOfFileAsync(top, ct).ConfigureAwait(false);
                if (spec.Base is { } commitBase) args["base-node"] = await NodeOfFileAsync(commitBase, ct).ConfigureAwait(false);
                break;
            case BlockJobType.Mirror:
                command = "drive-mirror";
                var target = spec.Target is { Length: > 0 } t ? Path.GetFullPath(t)
                    : throw new ArgumentException("A mirror needs a target image path.", nameof(spec));
                if (File.Exists(target)) throw new ImageExistsException(target);
                // QEMU creates the target itself (a full copy: no backing file).
                args["target"] = target;
                args["format"] = spec.TargetFormat;
                args["sync"] = "full";
                args["mode"] = "absolute-paths";
                break;
            default:
                throw new ArgumentException($"Cannot start a block job of type {spec.Type}.", nameof(spec));
        }
        if (spec.Speed > 0) args["speed"] = spec.Speed;
        var record = new JobRecord { Type = spec.Type, Device = spec.Device, StartSequence = _qmp.Events.LastSequence };
        if (!_jobs.TryAdd(jobId, record)) throw new MonitorException($"VM '{_vmName}' already had a block job '{jobId}'.");
        try
        {
            await ExecuteAsync(command, args, ct).ConfigureAwait(false);
        }
        catch
        {
            _jobs.TryRemove(jobId, out _);
            throw;
        }
        var listed = (await GetBlockJobsAsync(ct).ConfigureAwait(false)).FirstOrDefault(j => j.Id == jobId);
        // A short job may already be over: its end event says how it went.
        return listed ?? new BlockJob { Id = jobId, Type = spec.Type, Device = spec.Device, Status = "concluded" };
    }

    public async Task<IReadOnlyList<BlockJob>> GetBlockJobsAsync(CancellationToken ct)
    {
        var reply = await ExecuteAsync("query-block-jobs", null, ct).ConfigureAwait(false) as JsonArray;
        var jobs = new List<BlockJob>();
        foreach (var j in reply?.OfType<JsonObject>() ?? Enumerable.Empty<JsonObject>())
        {
            var id = Str(j, "device") ?? "";
            jobs.Add(new BlockJob
            {
                Id = id,
                Type = TypeOf(Str(j, "type")),
                Device = _jobs.TryGetValue(id, out var r) ? r.Device : null,
                Status = Str(j, "status") ?? "",
                Offset = Long(j, "offset"),
                Length = Long(j, "len"),
                Ready = j["ready"] is JsonValue ready && ready.TryGetValue<bool>(out var isReady) && isReady,
                Paused = j["paused"] is JsonValue paused && paused.TryGetValue<bool>(out var isPaused) && isPaused,
                Speed = Long(j, "speed"),
            });
        }
        return jobs;
    }

    public async Task<BlockJob> WaitForBlockJobAsync(string jobId, bool untilReady, IProgress<BlockJob>? progress, TimeSpan timeout, CancellationToken ct)
    {
        var record = _jobs.TryGetValue(jobId, out var r) ? r : null;
        var after = record?.StartSequence ?? 0;
        var deadline = DateTime.UtcNow + timeout;
        var vanishedAt = (DateTime?)null;
        while (true)
        {
            if (EndEvent(jobId, after) is { } end)
            {
                var ended = Ended(jobId, record, end, progress);
                if (record is not null) await ReleaseLeftNodesAsync(record.Device, ct).ConfigureAwait(false);
                return ended;
            }
            var job = (await GetBlockJobsAsync(ct).ConfigureAwait(false)).FirstOrDefault(j => j.Id == jobId);
            if (job is not null)
            {
                progress?.Report(job);
                if (untilReady && job.Ready) return job;
            }
            else
            {
                // Gone from the list: its end event is on its way (or the id was never a job).
                vanishedAt ??= DateTime.UtcNow;
                if (DateTime.UtcNow - vanishedAt > TimeSpan.FromSeconds(5))
                    throw new BlockDeviceNotFoundException(_vmName, "block job", jobId, (await GetBlockJobsAsync(ct).ConfigureAwait(false)).Select(j => j.Id).ToList());
            }
            if (DateTime.UtcNow >= deadline)
                throw new MonitorTimeoutException($"block job '{jobId}' to {(untilReady ? "become ready" : "end")}", timeout);
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }

    private QmpEvent? EndEvent(string jobId, long after) =>
        _qmp.Events.Snapshot().FirstOrDefault(e => e.Sequence > after && e.Name is "BLOCK_JOB_COMPLETED" or "BLOCK_JOB_CANCELLED" && Str(e.Data, "device") == jobId);

    private BlockJob Ended(string jobId, JobRecord? record, QmpEvent end, IProgress<BlockJob>? progress)
    {
        var type = record?.Type ?? TypeOf(Str(end.Data, "type"));
        if (Str(end.Data, "error") is { } error) throw new BlockJobFailedException(_vmName, jobId, type, record?.Device, error);
        if (end.Name == "BLOCK_JOB_CANCELLED" && record is { CancelRequested: false })
            throw new BlockJobFailedException(_vmName, jobId, type, record.Device, "the job was cancelled (by another monitor client, or QEMU gave up)");
        var job = new BlockJob
        {
            Id = jobId,
            Type = type,
            Device = record?.Device,
            Status = "concluded",
            Offset = end.Data is null ? 0 : Long(end.Data, "offset"),
            Length = end.Data is null ? 0 : Long(end.Data, "len"),
            Speed = end.Data is null ? 0 : Long(end.Data, "speed"),
        };
        progress?.Report(job);
        return job;
    }

    public async Task CompleteBlockJobAsync(string jobId, TimeSpan timeout, CancellationToken ct)
    {
        await ExecuteAsync("job-complete", new JsonObject { ["id"] = jobId }, ct).ConfigureAwait(false);
        await WaitForBlockJobAsync(jobId, untilReady: false, null, timeout, ct).ConfigureAwait(false);
    }

    public async Task CancelBlockJobAsync(string jobId, TimeSpan timeout, CancellationToken ct)
    {
        if (_jobs.TryGetValue(jobId, out var record)) record.CancelRequested = true;
        await ExecuteAsync("block-job-cancel", new JsonObject { ["device"] = jobId }, ct).ConfigureAwait(false);
        await WaitForBlockJobAsync(jobId, untilReady: false, null, timeout, ct).ConfigureAwait(false);
    }

    private static BlockJobType TypeOf(string? type) => type switch
    {
        "stream" => BlockJobType.Stream,
        "commit" => BlockJobType.Commit,
        "mirror" => BlockJobType.Mirror,
        _ => BlockJobType.Other,
    };

    private static string? Str(JsonObject? o, string name) =>
        o is not null && o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static long Long(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;
}
