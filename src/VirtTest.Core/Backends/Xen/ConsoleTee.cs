using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// One console stream (the <c>xl console</c> process of a domain) shared out: everything it
/// prints is appended to a log file from the first byte on (what waits for boot messages
/// read) and copied to every open session stream; what sessions write goes to the console.
/// Opened before the domain is unpaused, so no output is missed. <c>xl console</c> follows one
/// domain id and ends when that domain goes, but a guest that reboots (<c>on_reboot=restart</c>,
/// also a triple fault) comes back under the same name with a new id: while the domain still
/// exists the tee attaches again, so the log and open sessions go on like a QEMU console does.
/// </summary>
internal sealed class ConsoleTee : IAsyncDisposable
{
    /// <summary>How long the tee keeps trying to attach again by default (the domain may be absent for a moment while it reboots).</summary>
    public static readonly TimeSpan DefaultReattachWindow = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReattachPause = TimeSpan.FromSeconds(1);

    private readonly TimeSpan _reattachWindow;
    private readonly Func<CancellationToken, Task<Stream>>? _attach;
    private readonly Func<CancellationToken, Task<bool>>? _domainExists;
    private readonly FileStream _log;
    private readonly object _gate = new();
    private readonly ConsoleFanout _sessions;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private volatile Stream _source;
    private volatile bool _following = true;
    private int _reattachments;
    private string? _endReason;

    private ConsoleTee(Stream source, string logPath, Func<CancellationToken, Task<Stream>>? attach, Func<CancellationToken, Task<bool>>? domainExists, TimeSpan reattachWindow)
    {
        _reattachWindow = reattachWindow;
        _source = source;
        _attach = attach;
        _domainExists = domainExists;
        _log = new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        _sessions = new ConsoleFanout(WriteAsync);
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>
    /// Starts copying <paramref name="source"/> into <paramref name="logPath"/> (appended) and to
    /// sessions; owns the source. With <paramref name="attach"/> and <paramref name="domainExists"/>,
    /// a console that ends while the domain exists is attached again (see the class remarks).
    /// </summary>
    public static ConsoleTee Start(Stream source, string logPath,
        Func<CancellationToken, Task<Stream>>? attach = null, Func<CancellationToken, Task<bool>>? domainExists = null, TimeSpan? reattachWindow = null) =>
        new(source, logPath, attach, domainExists, reattachWindow ?? DefaultReattachWindow);

    /// <summary>How often the console ended while its domain lived on and was attached again (a reboot each, usually).</summary>
    public int Reattachments => Volatile.Read(ref _reattachments);

    /// <summary>Why the console stopped delivering output before it was closed, or null while it delivers.</summary>
    public string? EndReason { get { lock (_gate) return _endReason; } }

    /// <summary>Stops attaching again once the console ends (the domain is about to go away on purpose, e.g. migrated).</summary>
    public void StopFollowing() => _following = false;

    /// <summary>Attaches again after an end from now on (undoes <see cref="StopFollowing"/>, e.g. when a migration failed).</summary>
    public void Follow() => _following = true;

    private async Task PumpAsync()
    {
        var buffer = new byte[4096];
        string? endReason = null;
        try
        {
            while (true)
            {
                await CopyUntilEndAsync(buffer).ConfigureAwait(false);
                if (_stop.IsCancellationRequested) break;
                var next = await ReattachAsync().ConfigureAwait(false);
                if (next.Stream is null)
                {
                    endReason = next.Reason;
                    break;
                }
                // Not cancellable: the new stream must end up in _source, where closing finds it.
                Stream old;
                await _writeLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                try { (old, _source) = (_source, next.Stream); }
                finally { _writeLock.Release(); }
                Interlocked.Increment(ref _reattachments);
                try { await old.DisposeAsync().ConfigureAwait(false); } catch (IOException) { }
            }
        }
        catch (OperationCanceledException) { /* closed by DisposeAsync */ }
        finally
        {
            lock (_gate) _endReason = _stop.IsCancellationRequested ? null : endReason ?? "the console ended";
            _sessions.Complete();
        }
    }

    /// <summary>Copies the current source into the log and the sessions until it ends.</summary>
    private async Task CopyUntilEndAsync(byte[] buffer)
    {
        try
        {
            while (true)
            {
                var n = await _source.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (n == 0) return;
                await _log.WriteAsync(buffer.AsMemory(0, n), _stop.Token).ConfigureAwait(false);
                await _log.FlushAsync(_stop.Token).ConfigureAwait(false);
                _sessions.Publish(buffer.AsSpan(0, n));
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException) { /* the xl console process went away */ }
    }

    /// <summary>A new console stream while the domain exists (retrying for a while: a rebooting domain needs a moment for its new console), else why not.</summary>
    private async Task<(Stream? Stream, string Reason)> ReattachAsync()
    {
        if (_attach is null || _domainExists is null) return (null, "the console ended");
        var deadline = DateTime.UtcNow + _reattachWindow;
        var lastError = "";
        while (_following)
        {
            bool exists;
            try { exists = await _domainExists(_stop.Token).ConfigureAwait(false); }
            catch (Exception ex) when (ex is XenHostException or XenToolstackException or IOException) { exists = true; lastError = ex.Message; }
            // A rebooting domain is briefly absent (xl destroys the old one, then builds the new one):
            // only a domain that stays away for the whole window is gone.
            if (!exists)
            {
                if (DateTime.UtcNow >= deadline) return (null, "the console ended with the domain");
                await Task.Delay(ReattachPause, _stop.Token).ConfigureAwait(false);
                continue;
            }
            if (!_following) break;
            try { return (await _attach(_stop.Token).ConfigureAwait(false), ""); }
            catch (Exception ex) when (ex is XenHostException or XenToolstackException or IOException or TimeoutException) { lastError = ex.Message; }
            if (DateTime.UtcNow >= deadline) return (null, "the console ended and could not be attached again: " + lastError);
            await Task.Delay(ReattachPause, _stop.Token).ConfigureAwait(false);
        }
        return (null, "the console ended (not followed: the domain was leaving)");
    }

    /// <summary>A session stream: reads what the console prints from now on, writes to the console. Disposing it leaves the console open.</summary>
    public Stream Subscribe() => _sessions.Subscribe();

    private async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _source.WriteAsync(data, ct).ConfigureAwait(false);
            await _source.FlushAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _following = false;
        _stop.Cancel();
        // Disposing the source ends the xl console process, which unblocks a pending read.
        try { await _source.DisposeAsync().ConfigureAwait(false); } catch (IOException) { }
        try { await _pump.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); } catch (TimeoutException) { }
        // A console attached again while this closed is closed too (disposing twice is harmless).
        try { await _source.DisposeAsync().ConfigureAwait(false); } catch (IOException) { }
        await _log.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
