using System.Globalization;
using System.Text.Json.Nodes;
using VirtTest.Core.Config;
using VirtTest.Core.Monitor;
using VirtTest.Core.Storage;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Qemu;

/// <summary>
/// The disk half of a migration with non-shared storage, done the way current QEMU and
/// libvirt do it (not with <c>migrate</c>'s <c>blk</c>, removed in QEMU 9.1): each disk of the
/// params gets a new image file for the destination; the destination exports its disks over
/// NBD (<c>nbd-server-start</c>, <c>block-export-add</c>, writable); the source mirrors each
/// disk into its export (<c>blockdev-add</c> of an NBD client node, <c>blockdev-mirror</c>
/// with <c>sync: full</c>) and the memory migration starts once every mirror is ready. The
/// migration pauses before the switch-over (<c>pause-before-switchover</c>), the mirrors are
/// completed there (their last writes flushed while the source is stopped), then it
/// continues; the destination stops its exports before it runs.
/// </summary>
internal sealed class QemuStorageMigration
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private readonly string _vmName;
    private readonly IReadOnlyList<Copy> _copies;

    /// <summary>One disk to copy: its image name in the params, device id, files and size.</summary>
    internal sealed record Copy(string Image, string DeviceId, string Source, string Destination, string Format, long Size)
    {
        public string JobId => "vt-migrate-" + DeviceId;
        public string ClientNode => "vt-nbd-" + DeviceId;
        public string ExportId => "vt-export-" + DeviceId;
    }

    private QemuStorageMigration(string vmName, IReadOnlyList<Copy> copies, VirtParams destinationParams)
    {
        _vmName = vmName;
        _copies = copies;
        DestinationParams = destinationParams;
    }

    /// <summary>The destination's params: the same, with each copied disk's <c>image_filename</c> set to its new file.</summary>
    public VirtParams DestinationParams { get; }

    public IReadOnlyList<Copy> Copies => _copies;

    /// <summary>
    /// Plans the copy from the live disks and creates the destination's (empty) image files:
    /// next to each source, or in <see cref="MigrationOptions.StorageDirectory"/>, named
    /// <c>&lt;name&gt;-copyN.&lt;format&gt;</c>. Disks that are not in the params (hot-plugged)
    /// cannot be recreated on the destination: the migration is refused before anything starts.
    /// </summary>
    public static async Task<QemuStorageMigration> PrepareAsync(string vmName, VirtParams vmParams, QmpClient source, MigrationOptions options, CancellationToken ct)
    {
        var live = QemuBlockOperations.ParseQueryBlock(await source.ExecuteAsync("query-block", null, CommandTimeout, ct).ConfigureAwait(false));
        var images = new VmParamsReader(vmName, vmParams).Images;
        var ids = images.ToDictionary(i => QemuCommandLine.SafeId(i.Name), i => i, StringComparer.Ordinal);
        var extra = live.Where(d => !ids.ContainsKey(d.Id)).Select(d => d.Id).ToList();
        if (extra.Count > 0)
            throw new MonitorException($"VM '{vmName}' has disks that are not in its params ({string.Join(", ", extra)}): the destination cannot be started with them. Remove them (Remove-VirtDisk) before a migration with storage.");
        var copies = new List<Copy>();
        var destinationParams = vmParams.Clone();
        var tool = QemuImg.FromParams(vmParams);
        try
        {
            foreach (var image in images)
            {
                var id = QemuCommandLine.SafeId(image.Name);
                var disk = live.FirstOrDefault(d => d.Id == id)
                    ?? throw new MonitorException($"VM '{vmName}': disk '{image.Name}' of the params is not attached (query-block does not list '{id}').");
                if (disk.ReadOnly || image.Snapshot) continue; // nothing to carry over: the destination opens the same file read-only / a fresh snapshot
                // Named after the file the disk runs on now (a mirror or snapshot may have moved it from the params' one).
                var destination = ImageCopyPath.Next(disk.File ?? image.Path, image.Format, options.StorageDirectory);
                await tool.CreateAsync(destination, new ImageCreateOptions { Format = image.Format, Size = disk.Size.ToString(CultureInfo.InvariantCulture) }, overwrite: false, ct).ConfigureAwait(false);
                copies.Add(new Copy(image.Name, id, image.Path, destination, image.Format, disk.Size));
                destinationParams["image_filename_" + image.Name] = destination;
            }
        }
        catch
        {
            foreach (var c in copies) TryDelete(c.Destination);
            throw;
        }
        return new QemuStorageMigration(vmName, copies, destinationParams);
    }

    /// <summary>Starts the destination's NBD server (a Unix socket in its runtime directory) and exports its disks writable.</summary>
    public async Task ExportAsync(QmpClient destination, string socketPath, CancellationToken ct)
    {
        if (_copies.Count == 0) return;
        await destination.ExecuteAsync("nbd-server-start", new JsonObject
        {
            // nbd-server-start takes the legacy address form (type + data).
            ["addr"] = new JsonObject { ["type"] = "unix", ["data"] = new JsonObject { ["path"] = socketPath } },
        }, CommandTimeout, ct).ConfigureAwait(false);
        var nodes = QemuBlockOperations.ParseQueryBlock(await destination.ExecuteAsync("query-block", null, CommandTimeout, ct).ConfigureAwait(false));
        foreach (var copy in _copies)
        {
            var node = nodes.FirstOrDefault(d => d.Id == copy.DeviceId)?.NodeName
                ?? throw new MonitorException($"The destination of VM '{_vmName}' has no disk '{copy.DeviceId}'.");
            await destination.ExecuteAsync("block-export-add", new JsonObject
            {
                ["type"] = "nbd",
                ["id"] = copy.ExportId,
                ["node-name"] = node,
                ["name"] = copy.DeviceId,
                ["writable"] = true,
            }, CommandTimeout, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Mirrors every disk into the destination's export and waits until all mirrors are ready; progress as bytes copied.</summary>
    public async Task MirrorAsync(QmpClient source, string socketPath, IProgress<MigrationProgress>? progress, DateTime deadline, TimeSpan timeout, CancellationToken ct)
    {
        if (_copies.Count == 0) return;
        var after = source.Events.LastSequence;
        foreach (var copy in _copies)
        {
            await source.ExecuteAsync("blockdev-add", new JsonObject
            {
                ["driver"] = "nbd",
                ["node-name"] = copy.ClientNode,
                ["server"] = new JsonObject { ["type"] = "unix", ["path"] = socketPath },
                ["export"] = copy.DeviceId,
            }, CommandTimeout, ct).ConfigureAwait(false);
            await source.ExecuteAsync("blockdev-mirror", new JsonObject
            {
                ["job-id"] = copy.JobId,
                ["device"] = "drive_" + copy.DeviceId,
                ["target"] = copy.ClientNode,
                ["sync"] = "full",
            }, CommandTimeout, ct).ConfigureAwait(false);
        }
        var total = _copies.Sum(c => c.Size);
        while (true)
        {
            if (Failed(source, after) is { } failure) throw failure;
            var jobs = await source.ExecuteAsync("query-block-jobs", null, CommandTimeout, ct).ConfigureAwait(false) as JsonArray;
            var ours = jobs?.OfType<JsonObject>().Where(j => _copies.Any(c => c.JobId == Str(j, "device"))).ToList() ?? new List<JsonObject>();
            var copied = ours.Sum(j => Long(j, "offset"));
            progress?.Report(new MigrationProgress("storage", copied, total, Math.Max(0, total - copied)));
            if (ours.Count == _copies.Count && ours.All(j => j["ready"] is JsonValue r && r.TryGetValue<bool>(out var ready) && ready)) return;
            if (DateTime.UtcNow >= deadline) throw new MonitorTimeoutException($"the disk mirrors of VM '{_vmName}' to catch up", timeout);
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    /// <summary>A mirror that ended (with an error, or at all before it was completed) as a typed failure.</summary>
    private BlockJobFailedException? Failed(QmpClient source, long after)
    {
        foreach (var e in source.Events.Snapshot().Where(e => e.Sequence > after && e.Name is "BLOCK_JOB_COMPLETED" or "BLOCK_JOB_CANCELLED"))
        {
            var copy = _copies.FirstOrDefault(c => c.JobId == Str(e.Data, "device"));
            if (copy is null) continue;
            return new BlockJobFailedException(_vmName, copy.JobId, BlockJobType.Mirror, copy.DeviceId,
                Str(e.Data, "error") ?? "the mirror to the destination ended before the migration switched over");
        }
        return null;
    }

    /// <summary>At the switch-over (source stopped): completes each mirror without pivoting, which flushes its last writes.</summary>
    public async Task FinishMirrorsAsync(QmpClient source, CancellationToken ct)
    {
        if (_copies.Count == 0) return;
        var after = source.Events.LastSequence;
        foreach (var copy in _copies)
            await source.ExecuteAsync("block-job-cancel", new JsonObject { ["device"] = copy.JobId }, CommandTimeout, ct).ConfigureAwait(false);
        foreach (var copy in _copies)
        {
            var end = await source.Events.WaitForEventAsync("BLOCK_JOB_COMPLETED", e => Str(e.Data, "device") == copy.JobId, after, CommandTimeout, ct).ConfigureAwait(false);
            if (Str(end.Data, "error") is { } error) throw new BlockJobFailedException(_vmName, copy.JobId, BlockJobType.Mirror, copy.DeviceId, error);
        }
        // The NBD connections end here, so the destination can drop its exports.
        foreach (var copy in _copies)
            await source.ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = copy.ClientNode }, CommandTimeout, ct).ConfigureAwait(false);
    }

    /// <summary>The destination stops serving its disks before it runs.</summary>
    public async Task UnexportAsync(QmpClient destination, CancellationToken ct)
    {
        if (_copies.Count == 0) return;
        foreach (var copy in _copies)
            // hard: a client the source did not close yet is cut off; every write was flushed at the switch-over.
            await destination.ExecuteAsync("block-export-del", new JsonObject { ["id"] = copy.ExportId, ["mode"] = "hard" }, CommandTimeout, ct).ConfigureAwait(false);
        await destination.ExecuteAsync("nbd-server-stop", null, CommandTimeout, ct).ConfigureAwait(false);
    }

    /// <summary>After a failure: stops the source's mirrors (best effort) and deletes the destination's files.</summary>
    public async Task AbortAsync(QmpClient? source)
    {
        if (source is { IsConnected: true })
        {
            foreach (var copy in _copies)
            {
                try { await source.ExecuteAsync("block-job-cancel", new JsonObject { ["device"] = copy.JobId, ["force"] = true }, CommandTimeout, CancellationToken.None).ConfigureAwait(false); }
                catch (MonitorException) { /* never started, or already gone */ }
            }
            foreach (var copy in _copies)
            {
                // The job must be gone before its target node can go.
                for (var i = 0; i < 50; i++)
                {
                    try
                    {
                        await source.ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = copy.ClientNode }, CommandTimeout, CancellationToken.None).ConfigureAwait(false);
                        break;
                    }
                    catch (MonitorCommandException ex) when (ex.Description.Contains("busy", StringComparison.OrdinalIgnoreCase) || ex.Description.Contains("in use", StringComparison.OrdinalIgnoreCase))
                    {
                        await Task.Delay(100).ConfigureAwait(false);
                    }
                    catch (MonitorException) { break; }
                }
            }
        }
        foreach (var copy in _copies) TryDelete(copy.Destination);
    }

    private static void TryDelete(string file)
    {
        try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string? Str(JsonObject? o, string name) =>
        o is not null && o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static long Long(JsonObject o, string name) => o[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;
}
