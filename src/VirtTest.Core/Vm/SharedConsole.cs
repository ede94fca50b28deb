namespace VirtTest.Core.Vm;

/// <summary>
/// One connection to a VM's serial console shared by all of its sessions. QEMU's socket chardev
/// and libvirt's console stream serve one client at a time: a second session of its own would
/// wait unanswered (QEMU) or be refused (libvirt) while the first is open, so a serial login
/// beside an open serial session (Restart-VirtVm without -Session, a second Wait-VirtLogin)
/// could not work. Sessions share the connection instead, as on Xen: each reads what the guest
/// prints from its start on; the connection closes when the last session closes (so other
/// tools can attach between sessions) or when the console ends.
/// </summary>
internal sealed class SharedConsole
{
    private readonly SemaphoreSlim _openLock = new(1, 1);
    private Connection? _current;

    /// <summary>
    /// A session stream on the console of <paramref name="key"/> (what identifies one run of the
    /// VM's console, e.g. the socket path): joins the open connection, or connects.
    /// </summary>
    public async Task<Stream> OpenAsync(string key, Func<CancellationToken, Task<Stream>> connect, CancellationToken ct)
    {
        await _openLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_current is { } open && open.Key == key && open.Fanout.TrySubscribe() is { } joined) return joined;
            var connection = new Connection(key, await connect(ct).ConfigureAwait(false));
            _current = connection;
            return connection.Fanout.Subscribe();
        }
        finally
        {
            _openLock.Release();
        }
    }

    private sealed class Connection
    {
        private readonly Stream _source;
        private readonly CancellationTokenSource _stop = new();
        private int _closed;

        public Connection(string key, Stream source)
        {
            Key = key;
            _source = source;
            Fanout = new ConsoleFanout(WriteAsync, Close);
            _ = Task.Run(PumpAsync);
        }

        public string Key { get; }
        public ConsoleFanout Fanout { get; }

        private async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            await _source.WriteAsync(data, ct).ConfigureAwait(false);
            await _source.FlushAsync(ct).ConfigureAwait(false);
        }

        private async Task PumpAsync()
        {
            var buffer = new byte[4096];
            try
            {
                while (true)
                {
                    var n = await _source.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                    if (n == 0) break;
                    Fanout.Publish(buffer.AsSpan(0, n));
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException) { /* closed or gone */ }
            Fanout.Complete();
            Close();
        }

        /// <summary>The last session left or the console ended: the connection goes.</summary>
        private void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0) return;
            _stop.Cancel();
            try { _source.Dispose(); } catch (Exception ex) when (ex is IOException or ObjectDisposedException) { }
        }
    }
}
