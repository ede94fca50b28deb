namespace VirtTest.Core.Monitor;

/// <summary>
/// A block job to start on a disk of a running VM. <see cref="Target"/> is the new image of a
/// mirror (created by the job with <see cref="TargetFormat"/> and the disk's size);
/// <see cref="Base"/> is the image a commit writes into (default: the top image's backing file)
/// or the image a stream stops at (default: the whole chain); <see cref="Top"/> is the image a
/// commit starts from (default: the active top image, which makes the job need completing).
/// </summary>
public sealed record BlockJobSpec(BlockJobType Type, string Device)
{
    public string? Target { get; init; }
    public string TargetFormat { get; init; } = "qcow2";
    public string? Base { get; init; }
    public string? Top { get; init; }

    /// <summary>The job's id; generated when null.</summary>
    public string? JobId { get; init; }

    /// <summary>Bytes per second limit (0: none).</summary>
    public long Speed { get; init; }
}

/// <summary>A live external snapshot: a new overlay file on top of a disk, which the VM then writes to.</summary>
public sealed record DiskSnapshotSpec(string Device, string OverlayPath)
{
    public string Format { get; init; } = "qcow2";
}

/// <summary>What to do when a mirror or an active commit is ready (it waits for the caller then).</summary>
public enum ReadyAction
{
    /// <summary>Complete it: a mirror switches the disk to the copy, an active commit to the base.</summary>
    Complete,

    /// <summary>Cancel it: the disk stays on its image; a mirror's copy is consistent at that moment.</summary>
    Cancel,

    /// <summary>Leave it ready and return (complete or cancel it later).</summary>
    Return,
}
