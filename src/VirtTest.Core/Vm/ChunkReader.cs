using System.Threading.Channels;

namespace VirtTest.Core.Vm;

/// <summary>
/// Reads the byte chunks of a channel the way a stream is read: a chunk larger than the
/// caller's buffer is handed out over several reads; end of stream once the channel completes.
/// </summary>
internal sealed class ChunkReader
{
    private readonly ChannelReader<byte[]> _chunks;
    private byte[] _pending = Array.Empty<byte>();
    private int _offset;

    public ChunkReader(ChannelReader<byte[]> chunks) => _chunks = chunks;

    /// <summary>Hands these bytes out before the next chunk (read ahead and not used).</summary>
    public void Unread(byte[] bytes)
    {
        _pending = bytes;
        _offset = 0;
    }

    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct)
    {
        if (_offset >= _pending.Length)
        {
            if (!await _chunks.WaitToReadAsync(ct).ConfigureAwait(false) || !_chunks.TryRead(out var next)) return 0;
            _pending = next;
            _offset = 0;
        }
        var n = Math.Min(buffer.Length, _pending.Length - _offset);
        _pending.AsMemory(_offset, n).CopyTo(buffer);
        _offset += n;
        return n;
    }
}
