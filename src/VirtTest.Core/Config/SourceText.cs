using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace VirtTest.Core.Config;

/// <summary>
/// The text of one config file (or string) while it is parsed. A file is read and decoded a
/// chunk at a time into a window in native memory that holds the line being read and what
/// follows it: the reader asks for more (<see cref="ReadMore"/>) when a line runs past the
/// window's end, and the lines before it leave the window.
/// </summary>
/// <remarks>
/// Why a window and not the whole file: memory a process touches for the first time costs a
/// page fault per 4 KiB, measured at ~9.5 µs each on a 2-core VM of this project; a 1.9 MB file read
/// whole (its bytes, then its characters) was ~1,400 of them, ~13 ms of a ~100 ms cold parse.
/// The window's few pages are touched once and reused. Why native memory: a large file on the
/// GC heap would be large-object allocations, whose budget triggers a blocking full
/// collection in the middle of the parse (measured at 40 ms). Nothing outlives the parse of
/// the file: the parser keeps strings cut out of the text, never the text.
/// </remarks>
internal sealed unsafe class SourceText : IDisposable
{
    /// <summary>Bytes read at a time (the hash takes them in pieces of any size).</summary>
    internal const int DefaultChunkBytes = 32 * 1024;

    private readonly string? _string;
    private char* _chars;
    private int _capacity;
    private int _length;

    // A file being read: where the next chunk starts, the bytes it is read into, the hash of
    // the bytes read so far, the UTF-8 decoder once a chunk was not pure ASCII.
    private readonly string? _path;
    private SafeFileHandle? _file;
    private readonly long _declaredLength;
    private long _offset;
    private byte* _chunk;
    private readonly int _chunkBytes;
    private ContentHash.Hasher _hasher;
    private Decoder? _utf8;
    private string? _hash;

    private SourceText(string text, string? hash)
    {
        _string = text;
        _length = text.Length;
        _hash = hash;
    }

    private SourceText(string path, SafeFileHandle file, long length, int chunkBytes)
    {
        _path = path;
        _file = file;
        _declaredLength = length;
        _hasher = new ContentHash.Hasher(length);
        _chunkBytes = chunkBytes;
        _chunk = (byte*)NativeMemory.Alloc((nuint)chunkBytes);
        _capacity = 2 * chunkBytes + 2;
        _chars = (char*)NativeMemory.Alloc((nuint)_capacity * sizeof(char));
    }

    public static SourceText FromString(string text) => new(text, null);

    /// <summary>Whether the window holds the text's end (always for a string).</summary>
    public bool AtEnd => _file is null;

    /// <summary>Characters in the window (all of a string's).</summary>
    public int Length => _length;

    /// <summary>The window (read for every line: inlined, its rare failure out of line).</summary>
    public ReadOnlySpan<char> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if (_string is not null) return _string.AsSpan();
            if (_chars is null) ThrowDisposed();
            return new ReadOnlySpan<char>(_chars, _length);
        }
    }

    private static void ThrowDisposed() => throw new ObjectDisposedException(nameof(SourceText));

    /// <summary>
    /// Opens a file for reading a window at a time, decoded as File.ReadAllText decodes it
    /// (<see cref="ConfigSource.Decode"/>); the first chunk is read at once. IO errors propagate.
    /// </summary>
    public static SourceText OpenFile(string path, int chunkBytes = DefaultChunkBytes)
    {
        // At least a UTF-8 byte order mark's worth, which is looked for in the first chunk.
        if (chunkBytes < 8) throw new ArgumentOutOfRangeException(nameof(chunkBytes));
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        SourceText? text = null;
        try
        {
            var length = RandomAccess.GetLength(file);
            if (length <= 0 || length > int.MaxValue / 2 || StartsWithWideMark(file))
            {
                // Unknown length (a pipe, a /proc file), too big for one buffer, or UTF-16/32: the whole way.
                file.Dispose();
                var bytes = File.ReadAllBytes(path);
                return new SourceText(ConfigSource.Decode(bytes), ContentHash.Of(bytes));
            }
            text = new SourceText(path, file, length, chunkBytes);
            text.ReadMore(0);
            return text;
        }
        catch
        {
            if (text is not null) text.Dispose();
            else file.Dispose();
            throw;
        }
    }

    private static bool StartsWithWideMark(SafeFileHandle file)
    {
        Span<byte> head = stackalloc byte[4];
        var n = RandomAccess.Read(file, head, 0);
        return ConfigSource.HasWideByteOrderMark(head.Slice(0, n));
    }

    /// <summary>Reads a whole file into the window, with the hash of its bytes (tests and one-off reads).</summary>
    public static SourceText ReadFile(string path, out string hash, int chunkBytes = DefaultChunkBytes)
    {
        var text = OpenFile(path, chunkBytes);
        while (text.ReadMore(0)) { }
        hash = text.FinishHash()!;
        return text;
    }

    /// <summary>
    /// Drops the window's text before <paramref name="keepFrom"/> (the rest moves to the start)
    /// and appends the next chunk of the file. False when nothing more came (the file was read to
    /// its end: the window is then as it was, shifted); always false for a string.
    /// </summary>
    public bool ReadMore(int keepFrom)
    {
        if (_file is null) return false;
        if (_chars is null) ThrowDisposed();
        var keep = _length - keepFrom;
        if (keepFrom > 0) new Span<char>(_chars + keepFrom, keep).CopyTo(new Span<char>(_chars, keep));
        _length = keep;
        // A chunk decodes to at most one character per byte, plus one the decoder held back.
        if (_capacity - _length < _chunkBytes + 2)
        {
            _capacity = Math.Max(2 * _capacity, _length + _chunkBytes + 2);
            _chars = (char*)NativeMemory.Realloc(_chars, (nuint)_capacity * sizeof(char));
        }
        while (true)
        {
            int n;
            try
            {
                n = RandomAccess.Read(_file, new Span<byte>(_chunk, _chunkBytes), _offset);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigError(ConfigErrorKind.Parser, "cannot read config file: " + e.Message, _path, 0, inner: e);
            }
            var bytes = new ReadOnlySpan<byte>(_chunk, n);
            _hasher.Append(bytes);
            var target = new Span<char>(_chars + _length, _capacity - _length);
            if (n == 0)
            {
                // The end: a UTF-8 sequence cut short by it becomes U+FFFD, as in a whole decode.
                var last = _utf8 is null ? 0 : _utf8.GetChars(ReadOnlySpan<byte>.Empty, target, flush: true);
                _length += last;
                CloseFile();
                return last > 0;
            }
            if (_offset == 0 && n >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) bytes = bytes.Slice(3);
            _offset += n;
            if (_utf8 is null && AsciiFastText.IsAscii(bytes))
            {
                // Latin-1 gives ASCII's characters and starts faster than the UTF-8 decoder (see AsciiFastText).
                _length += Encoding.Latin1.GetChars(bytes, target);
            }
            else
            {
                _utf8 ??= Encoding.UTF8.GetDecoder();
                _length += _utf8.GetChars(bytes, target, flush: false);
            }
            if (_length > keep) return true;
            // A chunk that gave no character (the start of a long UTF-8 sequence): read on.
        }
    }

    private void CloseFile()
    {
        _file?.Dispose();
        _file = null;
        if (_chunk is not null) NativeMemory.Free(_chunk);
        _chunk = null;
    }

    /// <summary>
    /// The hash of the file's bytes (<see cref="ConfigSource.HashOf"/>), reading what the parse
    /// left unread; a string's is null. A file whose length changed while it was read is hashed
    /// again whole, so that the hash is of one version of it.
    /// </summary>
    public string? FinishHash()
    {
        if (_hash is not null || _path is null) return _hash;
        while (_file is not null) ReadMore(_length);
        if (_hasher.Length == _declaredLength) return _hash = ContentHash.ToHex(_hasher.Finish());
        return _hash = ContentHash.OfFile(_path);
    }

    public void Dispose()
    {
        CloseFile();
        var chars = _chars;
        _chars = null;
        if (chars is not null) NativeMemory.Free(chars);
        GC.SuppressFinalize(this);
    }

    ~SourceText()
    {
        if (_chunk is not null) NativeMemory.Free(_chunk);
        if (_chars is not null) NativeMemory.Free(_chars);
    }
}
