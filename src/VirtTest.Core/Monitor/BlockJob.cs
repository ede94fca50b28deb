namespace VirtTest.Core.Monitor;

/// <summary>The kinds of block job.</summary>
public enum BlockJobType
{
    /// <summary>Copies the backing chain's data into the top image (then it needs no backing file).</summary>
    Stream,

    /// <summary>Writes an overlay's data down into an image below it.</summary>
    Commit,

    /// <summary>Copies the disk to a new image while the guest writes, then (optionally) switches to it.</summary>
    Mirror,

    /// <summary>A job of another kind (backup, create, ...), seen in listings.</summary>
    Other,
}

/// <summary>
/// A block job of a running VM, as the hypervisor reports it: how far it got
/// (<see cref="Offset"/> of <see cref="Length"/> bytes), whether a mirror or an active commit is
/// <see cref="Ready"/> to be completed (pivoted), and the error of a job that failed.
/// </summary>
public sealed record BlockJob
{
    public string VmName { get; init; } = "";

    /// <summary>The job's id (QEMU job id; on libvirt the disk's target, one job per disk).</summary>
    public required string Id { get; init; }

    public BlockJobType Type { get; init; }

    /// <summary>The disk the job works on (its device id).</summary>
    public string? Device { get; init; }

    /// <summary>The hypervisor's status word (created, running, ready, paused, concluded, ...).</summary>
    public string Status { get; init; } = "";

    public long Offset { get; init; }
    public long Length { get; init; }

    /// <summary>A mirror or active commit has caught up and waits to be completed or cancelled.</summary>
    public bool Ready { get; init; }

    public bool Paused { get; init; }

    /// <summary>Bytes per second limit (0: none).</summary>
    public long Speed { get; init; }

    /// <summary>Why the job failed, when it did.</summary>
    public string? Error { get; init; }

    /// <summary>0-100.</summary>
    public double Percent => Length > 0 ? Math.Min(100.0, 100.0 * Offset / Length) : Ready ? 100.0 : 0.0;

    public override string ToString() => $"{Type} job {Id} on {Device}: {Status} {Percent:0.0}%";
}
