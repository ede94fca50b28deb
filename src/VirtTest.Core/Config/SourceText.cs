using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace VirtTest.Core.Config;

/// <summary>
/// The text of one config file (or string) while it is parsed. A file's bytes and characters
/// are held in native memory, not on the GC heap: a large file would otherwise be two
/// large-object allocations (bytes, then text), whose budget then triggers a blocking full
/// collection in the middle of the parse, when the tree built so far makes it slowest (measured
/// at 40 ms on the 52,000-line tree). Nothing outlives the parse of the file: the parser keeps
/// strings cut out of the text, never the text, and disposes of it when the file is done.
/// </summary>
internal sealed unsafe class SourceText : IDisposable
{
    private readonly string? _string;
    private char* _chars;
    private readonly int _length;

    private SourceText(string text)
    {
        _string = text;
        _length = text.Length;
    }

    private SourceText(char* chars, int length)
    {
        _chars = chars;
        _length = length;
    }

    public static SourceText FromString(string text) => new(text);

    public int Length => _length;

    /// <summary>The text (read for every line: inlined, its rare failure out of line).</summary>
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
    /// Reads a file, decoded as File.ReadAllText decodes it (<see cref="ConfigSource.Decode"/>),
    /// with the hash of its bytes (<see cref="ConfigSource.HashOf"/>). IO errors propagate.
    /// </summary>
    public static SourceText ReadFile(string path, out string hash)
    {
        using var bytes = FileBytes.Read(path);
        hash = ContentHash.Of(bytes.Span);
        return Decode(bytes.Span);
    }

    private static SourceText Decode(ReadOnlySpan<byte> data)
    {
        if (ConfigSource.HasWideByteOrderMark(data)) return new SourceText(ConfigSource.Decode(data.ToArray()));
        if (data.Length >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) data = data.Slice(3);
        var ascii = AsciiFastText.IsAscii(data);
        var count = ascii ? data.Length : Encoding.UTF8.GetCharCount(data);
        var chars = (char*)NativeMemory.Alloc((nuint)Math.Max(count, 1) * sizeof(char));
        try
        {
            var target = new Span<char>(chars, count);
            // Latin-1 gives ASCII's characters and starts faster than the UTF-8 decoder (see AsciiFastText).
            var written = ascii ? Encoding.Latin1.GetChars(data, target) : Encoding.UTF8.GetChars(data, target);
            return new SourceText(chars, written);
        }
        catch
        {
            NativeMemory.Free(chars);
            throw;
        }
    }

    public void Dispose()
    {
        var chars = _chars;
        _chars = null;
        if (chars is not null) NativeMemory.Free(chars);
        GC.SuppressFinalize(this);
    }

    ~SourceText()
    {
        if (_chars is not null) NativeMemory.Free(_chars);
    }
}
