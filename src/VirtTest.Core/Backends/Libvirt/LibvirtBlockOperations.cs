using System.Collections.Concurrent;
using System.Xml.Linq;
using VirtTest.Core.Monitor;
using VirtTest.Core.Storage;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Libvirt;

/// <summary>
/// Disks and block jobs of one libvirt domain through libvirt's own API (so libvirt keeps
/// track of them): the live XML's <c>&lt;disk&gt;</c> elements and <c>virDomainGetBlockInfo</c>;
/// hot-plug as <c>&lt;disk&gt;</c> attach/detach; live snapshots as disk-only external
/// snapshots without libvirt metadata; stream, commit and mirror as
/// <c>virDomainBlockRebase</c>, <c>virDomainBlockCommit</c> and <c>virDomainBlockCopy</c>,
/// followed with <c>virDomainGetBlockJobInfo</c> and the block job events, completed with a
/// pivot or cancelled with <c>virDomainBlockJobAbort</c>. libvirt runs one job per disk, so a
/// job's id is the disk's target (vdb, sda).
/// </summary>
internal sealed class LibvirtBlockOperations : IVmDisks
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly string _vmName;
    private readonly DomainHandle _dom;
    private readonly LibvirtEventLog _events;
    private readonly DeviceIdSequence _deviceIds;
    private readonly Func<XDocument> _liveXml;
    private readonly QemuImg _qemuImg = new();
    private readonly ConcurrentDictionary<string, JobRecord> _jobs = new(StringComparer.Ordinal);

    private sealed class JobRecord
    {
        public required BlockJobType Type { get; init; }
        public required string Device { get; init; }
        public required long StartSequence { get; init; }
        public volatile bool CancelRequested;
    }

    private static readonly Dictionary<DiskBus, (string Bus, string Prefix)> Buses = new()
    {
        [DiskBus.Virtio] = ("virtio", "vd"),
        [DiskBus.Scsi] = ("scsi", "sd"),
        [DiskBus.Usb] = ("usb", "sd"),
    };

    public LibvirtBlockOperations(string vmName, DomainHandle dom, LibvirtEventLog events, DeviceIdSequence deviceIds, Func<XDocument> liveXml)
    {
        _vmName = vmName;
        _dom = dom;
        _events = events;
        _deviceIds = deviceIds;
        _liveXml = liveXml;
    }

    private Task<T> Native<T>(Func<T> call, CancellationToken ct) =>
        Task.Run(() =>
        {
            try
            {
                return call();
            }
            catch (ObjectDisposedException ex)
            {
                throw new MonitorConnectionException($"The libvirt domain of VM '{_vmName}' was released: the VM stopped or died.", ex);
            }
        }, ct).WaitAsync(CommandTimeout, ct);

    private Task Native(Action call, CancellationToken ct) => Native(() => { call(); return 0; }, ct);

    // ------------------------------------------------------------------ listing

    public Task<IReadOnlyList<BlockDevice>> GetBlockDevicesAsync(CancellationToken ct) => Native(() => Disks(_liveXml()), ct);

    /// <summary>The disks of a live domain XML, with their size from virDomainGetBlockInfo.</summary>
    private IReadOnlyList<BlockDevice> Disks(XDocument doc)
    {
        var result = new List<BlockDevice>();
        foreach (var disk in DiskElements(doc))
        {
            var target = (string?)disk.Element("target")?.Attribute("dev") ?? "";
            long size = 0;
            if (target.Length > 0 && LibvirtNative.virDomainGetBlockInfo(_dom, target, out var info, 0) == 0) size = (long)info.Capacity;
            else LibvirtNative.virResetLastError();
            result.Add(new BlockDevice
            {
                Id = IdOf(disk) ?? target,
                NodeName = target,
                File = (string?)disk.Element("source")?.Attribute("file"),
                Format = (string?)disk.Element("driver")?.Attribute("type"),
                BackingFile = (string?)disk.Element("backingStore")?.Element("source")?.Attribute("file"),
                ReadOnly = disk.Element("readonly") is not null,
                Removable = false,
                Size = size,
                Bus = (string?)disk.Element("target")?.Attribute("bus"),
            });
        }
        return result;
    }

    internal static IEnumerable<XElement> DiskElements(XDocument doc) =>
        doc.Root?.Element("devices")?.Elements("disk").Where(d => ((string?)d.Attribute("device") ?? "disk") == "disk") ?? Enumerable.Empty<XElement>();

    private static string? IdOf(XElement disk) => disk.Element("alias")?.Attribute("name")?.Value is { } alias ? LibvirtMonitor.IdFromAlias(alias) : null;

    private (XElement Disk, string Target) FindDisk(XDocument doc, string id)
    {
        var disks = DiskElements(doc).ToList();
        var disk = disks.FirstOrDefault(d => IdOf(d) == id || (string?)d.Element("target")?.Attribute("dev") == id)
            ?? throw new BlockDeviceNotFoundException(_vmName, "disk", id, disks.Select(d => IdOf(d) ?? "").Where(a => a.Length > 0).ToList());
        return (disk, (string)disk.Element("target")!.Attribute("dev")!);
    }

    // ------------------------------------------------------------------ hot-plug

    public async Task<BlockDevice> AddDiskAsync(DiskSpec spec, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        var path = Path.GetFullPath(spec.Path);
        if (!File.Exists(path)) throw new ImageNotFoundException(path);
        var format = spec.Format ?? (await _qemuImg.GetInfoAsync(path, null, forceShare: true, ct).ConfigureAwait(false)).Format;
        var id = spec.Id ?? _deviceIds.Next();
        if (LibvirtDomainXml.SafeId(id) != id)
            throw new VmParamException(_vmName, "disk_id", id, "libvirt device aliases allow only letters, digits, '-' and '_'");
        var (bus, prefix) = Buses[spec.Bus];
        // libvirt would add an LSI controller for a SCSI disk, which guests rarely drive: a virtio-scsi one first.
        if (spec.Bus == DiskBus.Scsi) await EnsureVirtioScsiControllerAsync(deadline, timeout, ct).ConfigureAwait(false);
        await Native(() =>
        {
            var doc = _liveXml();
            if (DiskElements(doc).Any(d => IdOf(d) == id)) throw new MonitorException($"VM '{_vmName}' already has a disk with id '{id}'.");
            var used = doc.Root?.Element("devices")?.Elements("disk").Select(d => (string?)d.Element("target")?.Attribute("dev")).OfType<string>().ToHashSet() ?? new HashSet<string>();
            var target = Enumerable.Range(0, 26).Select(i => prefix + (char)('a' + i)).FirstOrDefault(t => !used.Contains(t))
                ?? throw new MonitorException($"VM '{_vmName}' has no free {prefix}X target left.");
            var disk = new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "disk"),
                new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", format)),
                new XElement("source", new XAttribute("file", path)),
                new XElement("target", new XAttribute("dev", target), new XAttribute("bus", bus)));
            if (spec.ReadOnly) disk.Add(new XElement("readonly"));
            if (spec.Serial is { Length: > 0 } serial) disk.Add(new XElement("serial", serial));
            disk.Add(new XElement("alias", new XAttribute("name", LibvirtDomainXml.UserAliasPrefix + id)));
            if (LibvirtNative.virDomainAttachDeviceFlags(_dom, disk.ToString(), LibvirtNative.VIR_DOMAIN_AFFECT_LIVE) < 0)
            {
                var error = LibvirtException.FromLastError($"attach disk '{id}' ({path})");
                // QEMU's image locking, as libvirt passes it on: another VM (or disk) uses the file.
                if (error.LibvirtMessage.Contains("Failed to get", StringComparison.Ordinal) && error.LibvirtMessage.Contains("lock", StringComparison.Ordinal))
                    throw new ImageLockedException(path, path, readOnlyAccess: false);
                throw error;
            }
        }, ct).ConfigureAwait(false);
        while (true)
        {
            var found = (await GetBlockDevicesAsync(ct).ConfigureAwait(false)).FirstOrDefault(d => d.Id == id);
            if (found is not null) return found;
            if (DateTime.UtcNow >= deadline) throw new MonitorTimeoutException($"disk '{id}' to appear in the live domain XML", timeout);
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }

    private const string ScsiControllerAlias = LibvirtDomainXml.UserAliasPrefix + "vt-scsi0";

    private static IEnumerable<XElement> ScsiControllers(XDocument doc) =>
        doc.Root?.Element("devices")?.Elements("controller").Where(c => (string?)c.Attribute("type") == "scsi") ?? Enumerable.Empty<XElement>();

    private async Task EnsureVirtioScsiControllerAsync(DateTime deadline, TimeSpan timeout, CancellationToken ct)
    {
        var added = await Native(() =>
        {
            var doc = _liveXml();
            if (ScsiControllers(doc).Any(c => (string?)c.Attribute("model") == "virtio-scsi")) return false;
            var index = ScsiControllers(doc).Select(c => int.TryParse((string?)c.Attribute("index"), out var i) ? i + 1 : 0).DefaultIfEmpty(0).Max();
            var xml = new XElement("controller", new XAttribute("type", "scsi"), new XAttribute("index", index), new XAttribute("model", "virtio-scsi"),
                new XElement("alias", new XAttribute("name", ScsiControllerAlias))).ToString();
            LibvirtConnection.Check(LibvirtNative.virDomainAttachDeviceFlags(_dom, xml, LibvirtNative.VIR_DOMAIN_AFFECT_LIVE), "attach a virtio-scsi controller");
            return true;
        }, ct).ConfigureAwait(false);
        if (!added) return;
        while (!ScsiControllers(await Native(_liveXml, ct).ConfigureAwait(false)).Any(c => (string?)c.Element("alias")?.Attribute("name") == ScsiControllerAlias))
        {
            if (DateTime.UtcNow >= deadline) throw new MonitorTimeoutException("the virtio-scsi controller to appear in the live domain XML", timeout);
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The virtio-scsi controller the framework added goes with the last SCSI disk (best effort: the guest must release it).</summary>
    private async Task RemoveIdleScsiControllerAsync(DateTime deadline, CancellationToken ct)
    {
        try
        {
            var controller = await Native(() =>
            {
                var doc = _liveXml();
                var ours = ScsiControllers(doc).FirstOrDefault(c => (string?)c.Element("alias")?.Attribute("name") == ScsiControllerAlias);
                if (ours is null || DiskElements(doc).Any(d => (string?)d.Element("target")?.Attribute("bus") == "scsi")) return null;
                LibvirtConnection.Check(LibvirtNative.virDomainDetachDeviceFlags(_dom, ours.ToString(), LibvirtNative.VIR_DOMAIN_AFFECT_LIVE), "detach the virtio-scsi controller");
                return ours;
            }, ct).ConfigureAwait(false);
            if (controller is null) return;
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(15) < deadline ? DateTime.UtcNow + TimeSpan.FromSeconds(15) : deadline;
            while (ScsiControllers(await Native(_liveXml, ct).ConfigureAwait(false)).Any(c => (string?)c.Element("alias")?.Attribute("name") == ScsiControllerAlias) && DateTime.UtcNow < until)
                await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
        catch (MonitorException)
        {
            // The controller stays; the disk itself is gone.
        }
    }

    public async Task RemoveDiskAsync(string id, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        await Native(() =>
        {
            var (disk, _) = FindDisk(_liveXml(), id);
            LibvirtConnection.Check(LibvirtNative.virDomainDetachDeviceFlags(_dom, disk.ToString(), LibvirtNative.VIR_DOMAIN_AFFECT_LIVE), $"detach disk '{id}'");
        }, ct).ConfigureAwait(false);
        // Detaching asks the guest to let go; the disk is gone once the live XML lacks it.
        while (true)
        {
            var now = await Native(_liveXml, ct).ConfigureAwait(false);
            if (!DiskElements(now).Any(d => IdOf(d) == id))
            {
                await RemoveIdleScsiControllerAsync(deadline, ct).ConfigureAwait(false);
                return;
            }
            if (DateTime.UtcNow >= deadline)
                throw new MonitorTimeoutException($"disk '{id}' to be removed (the guest did not release it; does it handle hot-unplug of this bus?)", timeout);
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }

    // ------------------------------------------------------------------ live snapshot

    public async Task<BlockDevice> SnapshotDiskAsync(DiskSnapshotSpec spec, CancellationToken ct)
    {
        var overlay = Path.GetFullPath(spec.OverlayPath);
        if (File.Exists(overlay)) throw new ImageExistsException(overlay);
        await Native(() =>
        {
            var doc = _liveXml();
            var (_, target) = FindDisk(doc, spec.Device);
            var disks = new XElement("disks");
            foreach (var other in DiskElements(doc))
            {
                var name = (string?)other.Element("target")?.Attribute("dev");
                if (name is null) continue;
                disks.Add(name == target
                    ? new XElement("disk", new XAttribute("name", name), new XAttribute("snapshot", "external"), new XAttribute("type", "file"),
                        new XElement("driver", new XAttribute("type", spec.Format)),
                        new XElement("source", new XAttribute("file", overlay)))
                    : new XElement("disk", new XAttribute("name", name), new XAttribute("snapshot", "no")));
            }
            var xml = new XElement("domainsnapshot", disks).ToString();
            // Disk-only, and no snapshot metadata: the overlay is the whole result, nothing to clean up in libvirt.
            var snapshot = LibvirtNative.virDomainSnapshotCreateXML(_dom, xml,
                LibvirtNative.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | LibvirtNative.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA | LibvirtNative.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC);
            if (snapshot == IntPtr.Zero) throw LibvirtException.FromLastError($"snapshot disk '{spec.Device}' onto {overlay}");
            LibvirtNative.virDomainSnapshotFree(snapshot);
        }, ct).ConfigureAwait(false);
        return (await GetBlockDevicesAsync(ct).ConfigureAwait(false)).First(d => d.Id == spec.Device || d.NodeName == spec.Device);
    }

    // ------------------------------------------------------------------ block jobs

    public async Task<BlockJob> StartBlockJobAsync(BlockJobSpec spec, CancellationToken ct)
    {
        var target = await Native(() => FindDisk(_liveXml(), spec.Device).Target, ct).ConfigureAwait(false);
        if (spec.JobId is { } wanted && wanted != target)
            throw new ArgumentException($"libvirt names a disk's block job by the disk's target: the job id of disk '{spec.Device}' is '{target}', not '{wanted}'.", nameof(spec));
        var record = new JobRecord { Type = spec.Type, Device = spec.Device, StartSequence = _events.LastSequence };
        _jobs[target] = record;
        var baseFile = spec.Base is null ? null : Path.GetFullPath(spec.Base);
        var top = spec.Top is null ? null : Path.GetFullPath(spec.Top);
        await Native(() =>
        {
            int rc;
            switch (spec.Type)
            {
                case BlockJobType.Stream:
                    rc = LibvirtNative.virDomainBlockRebase(_dom, target, baseFile, 0, 0);
                    break;
                case BlockJobType.Commit:
                    // Committing the active layer is its own job kind in libvirt: it waits to be pivoted.
                    rc = LibvirtNative.virDomainBlockCommit(_dom, target, baseFile, top, 0, top is null ? LibvirtNative.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE : 0);
                    break;
                case BlockJobType.Mirror:
                    var destination = spec.Target is { Length: > 0 } t ? Path.GetFullPath(t) : throw new ArgumentException("A mirror needs a target image path.", nameof(spec));
                    if (File.Exists(destination)) throw new ImageExistsException(destination);
                    var xml = new XElement("disk", new XAttribute("type", "file"),
                        new XElement("driver", new XAttribute("type", spec.TargetFormat)),
                        new XElement("source", new XAttribute("file", destination))).ToString();
                    // A transient job: libvirt would otherwise refuse a copy of a persistent domain's disk.
                    rc = LibvirtNative.virDomainBlockCopy(_dom, target, xml, IntPtr.Zero, 0, LibvirtNative.VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB);
                    break;
                default:
                    throw new ArgumentException($"Cannot start a block job of type {spec.Type}.", nameof(spec));
            }
            LibvirtConnection.Check(rc, $"start a {spec.Type.ToString().ToLowerInvariant()} job on disk '{spec.Device}' ({target})");
            if (spec.Speed > 0)
                LibvirtConnection.Check(LibvirtNative.virDomainBlockJobSetSpeed(_dom, target, (nuint)spec.Speed, 1 /* bandwidth in bytes */), $"limit the speed of the job on '{target}'");
        }, ct).ConfigureAwait(false);
        var listed = (await GetBlockJobsAsync(ct).ConfigureAwait(false)).FirstOrDefault(j => j.Id == target);
        return listed ?? new BlockJob { Id = target, Type = spec.Type, Device = spec.Device, Status = "concluded" };
    }

    public Task<IReadOnlyList<BlockJob>> GetBlockJobsAsync(CancellationToken ct) => Native(() =>
    {
        var jobs = new List<BlockJob>();
        foreach (var disk in DiskElements(_liveXml()))
        {
            var target = (string?)disk.Element("target")?.Attribute("dev");
            if (target is null) continue;
            var rc = LibvirtNative.virDomainGetBlockJobInfo(_dom, target, out var info, 0);
            if (rc < 0) { LibvirtNative.virResetLastError(); continue; }
            if (rc == 0) continue;
            var record = _jobs.TryGetValue(target, out var r) ? r : null;
            var type = info.Type switch
            {
                LibvirtNative.VIR_DOMAIN_BLOCK_JOB_TYPE_PULL => BlockJobType.Stream,
                LibvirtNative.VIR_DOMAIN_BLOCK_JOB_TYPE_COPY => BlockJobType.Mirror,
                LibvirtNative.VIR_DOMAIN_BLOCK_JOB_TYPE_COMMIT or LibvirtNative.VIR_DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT => BlockJobType.Commit,
                _ => BlockJobType.Other,
            };
            var waitsForPivot = info.Type is LibvirtNative.VIR_DOMAIN_BLOCK_JOB_TYPE_COPY or LibvirtNative.VIR_DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT;
            var readyEvent = record is not null && _events.Snapshot().Any(e => e.Sequence > record.StartSequence && e.Name == "BLOCK_JOB_READY" && e.GetString("device") == target);
            var ready = waitsForPivot && (readyEvent || (info.End > 0 && info.Cur == info.End));
            jobs.Add(new BlockJob
            {
                Id = target,
                Type = type,
                Device = record?.Device ?? IdOf(disk),
                Status = ready ? "ready" : "running",
                Offset = (long)info.Cur,
                Length = (long)info.End,
                Ready = ready,
                Speed = (long)info.Bandwidth,
            });
        }
        return (IReadOnlyList<BlockJob>)jobs;
    }, ct);

    public async Task<BlockJob> WaitForBlockJobAsync(string jobId, bool untilReady, IProgress<BlockJob>? progress, TimeSpan timeout, CancellationToken ct)
    {
        var record = _jobs.TryGetValue(jobId, out var r) ? r : null;
        var after = record?.StartSequence ?? 0;
        var deadline = DateTime.UtcNow + timeout;
        DateTime? vanishedAt = null;
        BlockJob? last = null;
        while (true)
        {
            if (EndEvent(jobId, after) is { } end) return Ended(jobId, record, end, last, progress);
            var job = (await GetBlockJobsAsync(ct).ConfigureAwait(false)).FirstOrDefault(j => j.Id == jobId);
            if (job is not null)
            {
                last = job;
                progress?.Report(job);
                if (untilReady && job.Ready) return job;
            }
            else
            {
                vanishedAt ??= DateTime.UtcNow;
                if (DateTime.UtcNow - vanishedAt > TimeSpan.FromSeconds(5))
                {
                    // No event came (an old libvirt, or a job libvirt ended itself): a known job counts as done.
                    if (record is null) throw new BlockDeviceNotFoundException(_vmName, "block job", jobId, (await GetBlockJobsAsync(ct).ConfigureAwait(false)).Select(j => j.Id).ToList());
                    return Done(jobId, record, last, progress);
                }
            }
            if (DateTime.UtcNow >= deadline)
                throw new MonitorTimeoutException($"block job '{jobId}' to {(untilReady ? "become ready" : "end")}", timeout);
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }

    private MonitorEvent? EndEvent(string jobId, long after) =>
        _events.Snapshot().FirstOrDefault(e => e.Sequence > after && e.Name is "BLOCK_JOB_COMPLETED" or "BLOCK_JOB_CANCELLED" && e.GetString("device") == jobId);

    private BlockJob Ended(string jobId, JobRecord? record, MonitorEvent end, BlockJob? last, IProgress<BlockJob>? progress)
    {
        var type = record?.Type ?? last?.Type ?? BlockJobType.Other;
        if (end.GetString("error") is { } error) throw new BlockJobFailedException(_vmName, jobId, type, record?.Device, error);
        if (end.Name == "BLOCK_JOB_CANCELLED" && record is { CancelRequested: false })
            throw new BlockJobFailedException(_vmName, jobId, type, record.Device, "the job was cancelled (by another libvirt client, or QEMU gave up)");
        return Done(jobId, record, last, progress);
    }

    private BlockJob Done(string jobId, JobRecord? record, BlockJob? last, IProgress<BlockJob>? progress)
    {
        _jobs.TryRemove(jobId, out _);
        var job = new BlockJob
        {
            Id = jobId,
            Type = record?.Type ?? last?.Type ?? BlockJobType.Other,
            Device = record?.Device ?? last?.Device,
            Status = "concluded",
            Offset = last?.Length ?? 0,
            Length = last?.Length ?? 0,
        };
        progress?.Report(job);
        return job;
    }

    public async Task CompleteBlockJobAsync(string jobId, TimeSpan timeout, CancellationToken ct)
    {
        await Native(() => LibvirtConnection.Check(LibvirtNative.virDomainBlockJobAbort(_dom, jobId, LibvirtNative.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT), $"pivot the block job on '{jobId}'"), ct).ConfigureAwait(false);
        await WaitForBlockJobAsync(jobId, untilReady: false, null, timeout, ct).ConfigureAwait(false);
    }

    public async Task CancelBlockJobAsync(string jobId, TimeSpan timeout, CancellationToken ct)
    {
        if (_jobs.TryGetValue(jobId, out var record)) record.CancelRequested = true;
        await Native(() => LibvirtConnection.Check(LibvirtNative.virDomainBlockJobAbort(_dom, jobId, 0), $"cancel the block job on '{jobId}'"), ct).ConfigureAwait(false);
        await WaitForBlockJobAsync(jobId, untilReady: false, null, timeout, ct).ConfigureAwait(false);
    }
}
