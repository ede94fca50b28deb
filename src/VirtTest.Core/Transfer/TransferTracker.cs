namespace VirtTest.Core.Transfer;

/// <summary>
/// Turns per-file byte counts into whole-transfer progress: bytes count as done as they
/// move, files once they are finished (checked, where the transfer checks them). Totals
/// may be unknown (a download whose sizes the protocol does not announce): then they follow
/// what has been done so far and <see cref="TransferProgress.TotalsKnown"/> is false.
/// </summary>
internal sealed class TransferTracker(IProgress<TransferProgress>? sink, TransferDirection direction, long bytesTotal, int filesTotal, bool totalsKnown = true)
{
    private long _moved;
    private int _files;

    public void Start(string file, long length) => Send(file, 0, length, _moved);

    public void Advance(string file, long length, long done) => Send(file, done, length, _moved + done);

    /// <summary>A file's bytes have all moved.</summary>
    public void Moved(string file, long length)
    {
        _moved += length;
        Send(file, length, length, _moved);
    }

    /// <summary>A file is finished (checked, or needs no check): it counts as done.</summary>
    public void Finish(string file, long length)
    {
        _files++;
        Send(file, length, length, _moved);
    }

    private void Send(string file, long fileDone, long fileLength, long done)
    {
        if (sink is null) return;
        var files = totalsKnown ? filesTotal : _files;
        sink.Report(new TransferProgress(direction, file, fileDone, Math.Max(fileLength, fileDone), done, Math.Max(bytesTotal, done), _files, Math.Max(files, _files))
        {
            TotalsKnown = totalsKnown,
        });
    }
}
