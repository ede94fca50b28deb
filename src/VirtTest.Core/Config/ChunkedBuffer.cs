namespace VirtTest.Core.Config;

/// <summary>
/// A write-only stream that keeps its bytes in pieces of <see cref="ChunkBytes"/>, for the parse
/// cache's entry while it is written.
/// </summary>
/// <remarks>
/// Why not a <see cref="MemoryStream"/>: an entry of a real tree is over a megabyte, and a
/// memory stream grows it by doubling one array, each step past 85 KB a large-object
/// allocation; those (and copying the result out once more) made the runtime run two full
/// blocking collections while the first run after a change wrote its cache (measured: 27 MB
/// allocated, 35 ms of pauses, 4,200 more page faults than the parse alone). Pieces this size
/// stay small objects, are never copied, and go to the file one after another.
/// </remarks>
internal sealed class ChunkedBuffer : Stream
{
    internal const int ChunkBytes = 64 * 1024;

    private readonly List<byte[]> _chunks = new();
    private int _used = ChunkBytes;   // bytes used in the last piece (none made yet)
    private long _length;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length;

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            if (_used == ChunkBytes)
            {
                _chunks.Add(new byte[ChunkBytes]);
                _used = 0;
            }
            var n = Math.Min(buffer.Length, ChunkBytes - _used);
            buffer.Slice(0, n).CopyTo(_chunks[^1].AsSpan(_used));
            _used += n;
            _length += n;
            buffer = buffer.Slice(n);
        }
    }

    public override void WriteByte(byte value) => Write(new ReadOnlySpan<byte>(in value));

    /// <summary>Overwrites bytes written before, from <paramref name="offset"/> on (room kept for what is known only later).</summary>
    public void Patch(long offset, ReadOnlySpan<byte> bytes)
    {
        if (offset < 0 || offset + bytes.Length > _length) throw new ArgumentOutOfRangeException(nameof(offset));
        while (bytes.Length > 0)
        {
            var chunk = _chunks[(int)(offset / ChunkBytes)];
            var at = (int)(offset % ChunkBytes);
            var n = Math.Min(bytes.Length, ChunkBytes - at);
            bytes.Slice(0, n).CopyTo(chunk.AsSpan(at));
            offset += n;
            bytes = bytes.Slice(n);
        }
    }

    /// <summary>How many pieces hold the bytes.</summary>
    public int PieceCount => _chunks.Count;

    /// <summary>The bytes of piece <paramref name="i"/>; the pieces in order are the bytes written.</summary>
    public ReadOnlySpan<byte> Piece(int i) => _chunks[i].AsSpan(0, i == _chunks.Count - 1 ? _used : ChunkBytes);

    /// <summary>Writes the bytes to <paramref name="output"/>.</summary>
    public void WriteTo(Stream output)
    {
        for (var i = 0; i < _chunks.Count; i++) output.Write(Piece(i));
    }

    /// <summary>The content hash of the bytes (the same as <see cref="ContentHash.Of"/> of them in one piece).</summary>
    public string Hash()
    {
        var hasher = new ContentHash.Hasher(_length);
        for (var i = 0; i < _chunks.Count; i++) hasher.Append(Piece(i));
        return ContentHash.ToHex(hasher.Finish());
    }

    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
