using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// The parse cache's entry is written into pieces (<see cref="ChunkedBuffer"/>) rather than one
/// growing array: the pieces in order must be exactly the bytes written, with their hash, and
/// room kept for the tree's counts is filled in afterwards as five-byte 7-bit encoded ints that
/// the cache's reader reads back.
/// </summary>
public class ChunkedBufferTests
{
    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(ChunkedBuffer.ChunkBytes - 1, 7)]
    [InlineData(ChunkedBuffer.ChunkBytes, 4096)]
    [InlineData(ChunkedBuffer.ChunkBytes + 1, ChunkedBuffer.ChunkBytes)]
    [InlineData(5 * ChunkedBuffer.ChunkBytes + 123, 100_000)]
    public void The_pieces_in_order_are_the_bytes_written_and_hash_as_they_do_whole(int size, int writeSize)
    {
        var content = new byte[size];
        new Random(size).NextBytes(content);
        using var buffer = new ChunkedBuffer();
        for (var at = 0; at < size; at += writeSize)
        {
            var part = content.AsSpan(at, Math.Min(writeSize, size - at));
            if (part.Length == 1) buffer.WriteByte(part[0]);
            else buffer.Write(part);
        }
        Assert.Equal(size, buffer.Length);
        Assert.Equal(size, buffer.Position);
        var joined = new List<byte>();
        for (var i = 0; i < buffer.PieceCount; i++)
        {
            Assert.True(buffer.Piece(i).Length <= ChunkedBuffer.ChunkBytes);
            joined.AddRange(buffer.Piece(i).ToArray());
        }
        Assert.Equal(content, joined.ToArray());
        Assert.Equal(ContentHash.Of(content), buffer.Hash());
        using var copy = new MemoryStream();
        buffer.WriteTo(copy);
        Assert.Equal(content, copy.ToArray());
    }

    [Fact]
    public void A_patch_overwrites_only_its_bytes_even_across_pieces_and_never_past_the_end()
    {
        var content = new byte[3 * ChunkedBuffer.ChunkBytes];
        new Random(7).NextBytes(content);
        using var buffer = new ChunkedBuffer();
        buffer.Write(content);
        var patch = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
        foreach (var at in new long[] { 0, ChunkedBuffer.ChunkBytes - 4, 2 * ChunkedBuffer.ChunkBytes, content.Length - patch.Length })
        {
            buffer.Patch(at, patch);
            patch.CopyTo(content, (int)at);
        }
        using var copy = new MemoryStream();
        buffer.WriteTo(copy);
        Assert.Equal(content, copy.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Patch(content.Length - 3, patch));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Patch(-1, patch));
        Assert.Throws<NotSupportedException>(() => buffer.Read(new byte[1], 0, 1));
        Assert.False(buffer.CanRead || buffer.CanSeek);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(16_383)]
    [InlineData(16_384)]
    [InlineData(2_097_152)]
    [InlineData(int.MaxValue)]
    public void A_padded_count_reads_back_as_the_count_in_exactly_five_bytes(int value)
    {
        using var dir = new TempDir();
        var padded = new byte[ParsedTreeFormat.PaddedIntBytes + 1];
        ParsedTreeFormat.WritePadded7BitInt(padded, value);
        padded[^1] = 0x2A;   // what follows the count must still be there to read
        var path = Path.Combine(dir.Path, "count.bin");
        File.WriteAllBytes(path, padded);
        using var bytes = CacheBytes.ReadFile(path);
        var reader = new CacheReader(bytes);
        Assert.Equal(value, reader.Read7BitEncodedInt());
        Assert.Equal(0x2A, reader.ReadByte());
    }
}
