namespace VirtTest.Core.Transfer;

/// <summary>Which way a transfer goes.</summary>
public enum TransferDirection
{
    /// <summary>Host to guest.</summary>
    Upload,
    /// <summary>Guest to host.</summary>
    Download,
}

/// <summary>
/// Where a transfer stands: the file being copied (its source path) and the bytes done of
/// it, and the totals over the whole transfer (one file, or every file of a folder).
/// </summary>
public sealed record TransferProgress(
    TransferDirection Direction,
    string CurrentFile,
    long CurrentFileBytes,
    long CurrentFileLength,
    long BytesDone,
    long BytesTotal,
    int FilesDone,
    int FilesTotal)
{
    /// <summary>
    /// False while the totals are not known yet (an RSS download: the protocol announces no
    /// sizes); the totals then follow what has been done.
    /// </summary>
    public bool TotalsKnown { get; init; } = true;

    /// <summary>0 to 100 over the whole transfer (-1 while the totals are not known).</summary>
    public double Percent => !TotalsKnown ? -1 : BytesTotal <= 0 ? (FilesTotal == 0 || FilesDone == FilesTotal ? 100 : 0) : 100.0 * BytesDone / BytesTotal;

    public override string ToString() => $"{Direction} {CurrentFile}: {BytesDone}/{BytesTotal} bytes, {FilesDone}/{FilesTotal} files ({Percent:0.#}%)";
}

/// <summary>What a finished transfer moved.</summary>
public sealed record TransferResult(TransferDirection Direction, string Source, string Destination, int Files, long Bytes, TimeSpan Duration, bool Verified);
