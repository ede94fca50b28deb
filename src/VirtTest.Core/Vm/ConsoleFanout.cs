using System.Threading.Channels;

namespace VirtTest.Core.Vm;

/// <summary>
/// The session streams of one console: each reads everything published after it subscribed,
/// and whatever any of them writes goes to the console through one writer. When the console
/// ends (<see cref="Complete"/>), every session reads end of stream.
/// </summary>
internal sealed class ConsoleFanout
{
    private readonly object _gate = new();
    private readonly List<Channel<byte[]>> _readers = new();
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> _write;
    private readonly Action? _lastLeft;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private bool _ended;

    /// <param name="write">Writes to the console (called one at a time).</param>
    /// <param name="lastLeft">Called once when the last session has gone: the fan-out has ended then and takes no new session.</param>
    public ConsoleFanout(Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> write, Action? lastLeft = null)
    {
        _write = write;
        _lastLeft = lastLeft;
    }

    /// <summary>A new session stream; null once the fan-out has ended.</summary>
    public Stream? TrySubscribe()
    {
        var channel = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate)
        {
            if (_ended) return null;
            _readers.Add(channel);
        }
        return new Session(this, channel);
    }

    /// <summary>A new session stream; one that reads end of stream at once when the fan-out has ended.</summary>
    public Stream Subscribe()
    {
        if (TrySubscribe() is { } stream) return stream;
        var ended = Channel.CreateUnbounded<byte[]>();
        ended.Writer.TryComplete();
        return new Session(this, ended);
    }

    /// <summary>Hands a copy of what the console printed to every session.</summary>
    public void Publish(ReadOnlySpan<byte> data)
    {
        var copy = data.ToArray();
        lock (_gate)
        {
            foreach (var r in _readers) r.Writer.TryWrite(copy);
        }
    }

    /// <summary>The console ended: sessions read end of stream, no new one subscribes.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _ended = true;
            foreach (var r in _readers) r.Writer.TryComplete();
        }
    }

    private void Unsubscribe(Channel<byte[]> channel)
    {
        bool last;
        lock (_gate)
        {
            last = _readers.Remove(channel) && _readers.Count == 0 && _lastLeft is not null && !_ended;
            if (last) _ended = true;
        }
        channel.Writer.TryComplete();
        if (last) _lastLeft!();
    }

    private async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try { await _write(data, ct).ConfigureAwait(false); }
        finally { _writeLock.Release(); }
    }

    private sealed class Session : DuplexConsoleStream
    {
        private readonly ConsoleFanout _fanout;
        private readonly Channel<byte[]> _channel;
        private readonly ChunkReader _reader;
        private int _disposed;

        public Session(ConsoleFanout fanout, Channel<byte[]> channel)
        {
            _fanout = fanout;
            _channel = channel;
            _reader = new ChunkReader(channel.Reader);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            _reader.ReadAsync(buffer, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _fanout.WriteAsync(buffer, cancellationToken);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0) _fanout.Unsubscribe(_channel);
            base.Dispose(disposing);
        }
    }
}
