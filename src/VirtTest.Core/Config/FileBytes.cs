using System.Runtime.InteropServices;

namespace VirtTest.Core.Config;

/// <summary>
/// A whole file's bytes for one look at them (hashing, decoding), held in native memory and
/// freed on <see cref="Dispose"/>. Config files reach megabytes: as arrays they would be
/// large-object allocations, and the large-object budget's first overrun is a blocking full
/// collection, paid in the middle of a parse or an expansion (see <see cref="SourceText"/>).
/// </summary>
internal readonly unsafe struct FileBytes : IDisposable
{
    private readonly byte* _native;
    private readonly int _length;
    private readonly byte[]? _managed;

    private FileBytes(byte* native, int length, byte[]? managed)
    {
        _native = native;
        _length = length;
        _managed = managed;
    }

    public ReadOnlySpan<byte> Span => _managed is not null ? _managed : new ReadOnlySpan<byte>(_native, _length);

    /// <summary>Reads a file (IO errors propagate); dispose of the result.</summary>
    public static FileBytes Read(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var length = RandomAccess.GetLength(handle);
        if (length <= 0 || length > int.MaxValue / 2)
        {
            // Unknown length (a pipe, a /proc file) or too big for one buffer: the managed way.
            var all = File.ReadAllBytes(path);
            return new FileBytes(null, all.Length, all);
        }
        var bytes = (byte*)NativeMemory.Alloc((nuint)length);
        try
        {
            var buffer = new Span<byte>(bytes, (int)length);
            var read = 0;
            while (read < buffer.Length)
            {
                var n = RandomAccess.Read(handle, buffer.Slice(read), read);
                if (n == 0) break;   // shorter than it said: what is there
                read += n;
            }
            return new FileBytes(bytes, read, null);
        }
        catch
        {
            NativeMemory.Free(bytes);
            throw;
        }
    }

    public void Dispose()
    {
        if (_native is not null) NativeMemory.Free(_native);
    }
}
