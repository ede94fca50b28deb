using System.Text.Json.Nodes;

namespace VirtTest.Core.Monitor;

/// <summary>
/// A VM's disks as its hypervisor handles them (capabilities BlockInfo, DiskHotplug,
/// LiveSnapshot, BlockJobs): each backend implements it once, next to its monitor.
/// </summary>
public interface IVmDisks
{
    /// <summary>The VM's disks as the hypervisor lists them.</summary>
    Task<IReadOnlyList<BlockDevice>> GetBlockDevicesAsync(CancellationToken ct);

    /// <summary>Hot-plugs a disk image and returns it once the hypervisor lists it; a failed plug leaves nothing half-added.</summary>
    Task<BlockDevice> AddDiskAsync(DiskSpec spec, TimeSpan timeout, CancellationToken ct);

    /// <summary>Unplugs a disk and returns once the hypervisor reports it gone (the guest has released it).</summary>
    Task RemoveDiskAsync(string id, TimeSpan timeout, CancellationToken ct);

    /// <summary>Takes a live external snapshot: the disk's writes go to a new overlay file from now on. Returns the disk.</summary>
    Task<BlockDevice> SnapshotDiskAsync(DiskSnapshotSpec spec, CancellationToken ct);

    /// <summary>Starts a block job (stream, commit, mirror) and returns it as first listed.</summary>
    Task<BlockJob> StartBlockJobAsync(BlockJobSpec spec, CancellationToken ct);

    /// <summary>The block jobs that exist now.</summary>
    Task<IReadOnlyList<BlockJob>> GetBlockJobsAsync(CancellationToken ct);

    /// <summary>
    /// Waits until the job has ended (returns its last state, status "concluded") or, with
    /// <paramref name="untilReady"/>, until it is ready to be completed; reports progress on the
    /// way. A job that ended with an error is a <see cref="BlockJobFailedException"/>.
    /// </summary>
    Task<BlockJob> WaitForBlockJobAsync(string jobId, bool untilReady, IProgress<BlockJob>? progress, TimeSpan timeout, CancellationToken ct);

    /// <summary>Completes a ready job (a mirror switches the disk to the copy; an active commit to the base) and waits for its end.</summary>
    Task CompleteBlockJobAsync(string jobId, TimeSpan timeout, CancellationToken ct);

    /// <summary>Cancels a job and waits for its end (a ready mirror leaves a consistent copy; the disk stays on its image).</summary>
    Task CancelBlockJobAsync(string jobId, TimeSpan timeout, CancellationToken ct);
}
