using System.Threading.Channels;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// One console stream (the <c>xl console</c> process of a domain) shared out: everything it
/// prints is appended to a log file from the first byte on (what waits for boot messages
/// read) and copied to every open session stream; what sessions write goes to the console.
/// Opened before the domain is unpaused, so no output is missed.
/// </summary>
internal sealed class ConsoleTee : IAsyncDisposable
{
    private readonly Stream _source;
    private readonly FileStream _log;
    private readonly object _gate = new();
    private readonly List<Channel<byte[]>> _readers = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private bool _ended;

    private ConsoleTee(Stream source, string logPath)
    {
        _source = source;
        _log = new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Starts copying <paramref name="source"/> into <paramref name="logPath"/> (appended) and to sessions; owns the source.</summary>
    public static ConsoleTee Start(Stream source, string logPath) => new(source, logPath);

    private async Task PumpAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = await _source.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (n == 0) break;
                await _log.WriteAsync(buffer.AsMemory(0, n), _stop.Token).ConfigureAwait(false);
                await _log.FlushAsync(_stop.Token).ConfigureAwait(false);
                var copy = buffer.AsSpan(0, n).ToArray();
                lock (_gate)
                {
                    foreach (var r in _readers) r.Writer.TryWrite(copy);
                }
            }
        }
        catch (OperationCanceledException) { /* closed by DisposeAsync */ }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException) { /* the xl console process went away */ }
        finally
        {
            lock (_gate)
            {
                _ended = true;
                foreach (var r in _readers) r.Writer.TryComplete();
            }
        }
    }

    /// <summary>A session stream: reads what the console prints from now on, writes to the console. Disposing it leaves the console open.</summary>
    public Stream Subscribe()
    {
        var channel = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate)
        {
            if (_ended) channel.Writer.TryComplete();
            else _readers.Add(channel);
        }
        return new Session(this, channel);
    }

    private void Unsubscribe(Channel<byte[]> channel)
    {
        lock (_gate) _readers.Remove(channel);
        channel.Writer.TryComplete();
    }

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
        _stop.Cancel();
        // Disposing the source ends the xl console process, which unblocks a pending read.
        try { await _source.DisposeAsync().ConfigureAwait(false); } catch (IOException) { }
        try { await _pump.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false); } catch (TimeoutException) { }
        await _log.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private sealed class Session : DuplexConsoleStream
    {
        private readonly ConsoleTee _tee;
        private readonly Channel<byte[]> _channel;
        private byte[] _pending = Array.Empty<byte>();
        private int _offset;

        public Session(ConsoleTee tee, Channel<byte[]> channel)
        {
            _tee = tee;
            _channel = channel;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_offset >= _pending.Length)
            {
                if (!await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) return 0;
                if (!_channel.Reader.TryRead(out var next)) return 0;
                _pending = next;
                _offset = 0;
            }
            var n = Math.Min(buffer.Length, _pending.Length - _offset);
            _pending.AsMemory(_offset, n).CopyTo(buffer);
            _offset += n;
            return n;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            _tee.WriteAsync(buffer, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing) _tee.Unsubscribe(_channel);
            base.Dispose(disposing);
        }
    }
}
