using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace VirtTest.Core.Config;

/// <summary>
/// Reads what a <see cref="BinaryWriter"/> wrote (bytes, little-endian ints, 7-bit encoded ints,
/// length-prefixed UTF-8 strings) straight from a cache entry's bytes: the parse cache reads tens
/// of thousands of small items, and this costs a fraction of a <see cref="BinaryReader"/> over a stream.
/// Reading past the end throws <see cref="EndOfStreamException"/>; malformed data <see cref="InvalidDataException"/>.
/// </summary>
/// <remarks>The caller keeps the bytes alive (holds a reference on them) while it reads.</remarks>
internal sealed unsafe class CacheReader
{
    private readonly byte* _bytes;
    private readonly int _end;
    private int _pos;

    public CacheReader(CacheBytes bytes) : this(bytes, 0, bytes.Length)
    {
    }

    /// <summary>A reader of <paramref name="length"/> bytes from <paramref name="offset"/> on.</summary>
    public CacheReader(CacheBytes bytes, int offset, int length)
    {
        if (offset < 0 || length < 0 || length > bytes.Length - offset) throw new ArgumentOutOfRangeException(nameof(length));
        _bytes = bytes.Pointer;
        _pos = offset;
        _end = offset + length;
    }

    /// <summary>Where the next read starts, as an index into the whole entry.</summary>
    public int Position => _pos;

    /// <summary>Bytes left to read.</summary>
    public int Remaining => _end - _pos;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte ReadByte()
    {
        if (_pos >= _end) ThrowEnd();
        return _bytes[_pos++];
    }

    private static void ThrowEnd() => throw new EndOfStreamException();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || count > _end - _pos) ThrowEnd();
        var span = new ReadOnlySpan<byte>(_bytes + _pos, count);
        _pos += count;
        return span;
    }

    /// <summary>Moves past <paramref name="count"/> bytes.</summary>
    public void Skip(int count) => ReadBytes(count);

    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4));

    public int Read7BitEncodedInt()
    {
        uint result = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = ReadByte();
            if (shift == 28 && b > 0b1111) throw new InvalidDataException("bad 7-bit encoded int");
            result |= (uint)(b & 0x7F) << shift;
            if (b < 0x80) return (int)result;
        }
        throw new InvalidDataException("bad 7-bit encoded int");
    }

    public string ReadString()
    {
        var bytes = ReadStringBytes();
        return bytes.Length == 0 ? "" : AsciiFastText.FromUtf8(bytes);
    }

    /// <summary>The UTF-8 bytes of a length-prefixed string, not decoded.</summary>
    public ReadOnlySpan<byte> ReadStringBytes()
    {
        var length = Read7BitEncodedInt();
        if (length < 0) throw new InvalidDataException("bad string length");
        return ReadBytes(length);
    }
}
