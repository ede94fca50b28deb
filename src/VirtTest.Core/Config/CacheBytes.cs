using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VirtTest.Core.Config;

/// <summary>
/// The bytes of a parse cache entry, read whole and kept as long as a tree read from them needs
/// them (its statement blocks are read on first use). They never move: readers work on a pointer,
/// and hold a reference (<see cref="SafeHandle.DangerousAddRef"/>) while they read.
/// </summary>
/// <remarks>
/// A large entry (a megabyte and more, as a real tree's) goes to memory of its own, aligned to
/// 2 MiB and marked for transparent huge pages where Linux offers them (<c>madvise</c>): the
/// first write to each 4 KiB page of fresh memory is a page fault, and a 1.3 MB entry read into
/// an array took about 320 of them (5.7 ms on the virtual machines measured, against 1-2 ms with
/// huge pages). The mark is a hint: without it, or elsewhere, the memory is ordinary. Smaller
/// entries stay in an array on the pinned object heap. The memory is freed when the last tree
/// using it is collected (or at once, by <see cref="SafeHandle.Dispose()"/>, when no tree was made).
/// </remarks>
internal sealed unsafe class CacheBytes : SafeHandle
{
    private const long HugePage = 2 * 1024 * 1024;
    private const int NativeFrom = 1024 * 1024;

    private readonly byte[]? _array;
    private readonly long _reserved;   // native bytes allocated (0 for an array)

    private CacheBytes(byte[] array) : base(IntPtr.Zero, ownsHandle: true)
    {
        _array = array;
        Length = array.Length;
    }

    private CacheBytes(byte* native, long reserved, int length) : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle((IntPtr)native);
        _reserved = reserved;
        Length = length;
        GC.AddMemoryPressure(reserved);
    }

    public int Length { get; }

    /// <summary>Whether the bytes are in memory of their own (a large entry).</summary>
    internal bool IsNative => _array is null;

    /// <summary>No native memory to free for an array (the handle stays zero).</summary>
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>The first byte; valid while a reference is held (or the object is reachable and not disposed).</summary>
    public byte* Pointer => _array is { } a ? (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(a)) : (byte*)handle;

    /// <summary>The bytes as a span (same validity as <see cref="Pointer"/>).</summary>
    public ReadOnlySpan<byte> Span => new(Pointer, Length);

    /// <summary>Bytes held in a pinned array (for tests, and as the small-entry case).</summary>
    public static CacheBytes FromArray(ReadOnlySpan<byte> bytes)
    {
        var array = GC.AllocateUninitializedArray<byte>(bytes.Length, pinned: true);
        bytes.CopyTo(array);
        return new CacheBytes(array);
    }

    /// <summary>A file's bytes; an <see cref="IOException"/> when it cannot be read whole (or changed length while read).</summary>
    public static CacheBytes ReadFile(string path) => ReadFile(path, NativeFrom);

    /// <summary>As <see cref="ReadFile(string)"/>, with the size from which native memory is used (tests).</summary>
    internal static CacheBytes ReadFile(string path, int nativeFrom)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var length = RandomAccess.GetLength(file);
        if (length > Array.MaxLength) throw new IOException("cache entry too large: " + path);
        var size = (int)length;
        CacheBytes bytes;
        if (size == 0 || size < nativeFrom || !OperatingSystem.IsLinux())
        {
            bytes = new CacheBytes(GC.AllocateUninitializedArray<byte>(size, pinned: true));
        }
        else
        {
            var reserved = (size + HugePage - 1) & ~(HugePage - 1);
            var native = (byte*)NativeMemory.AlignedAlloc((nuint)reserved, (nuint)HugePage);
            AdviseHugePages(native, reserved);
            bytes = new CacheBytes(native, reserved, size);
        }
        try
        {
            var span = new Span<byte>(bytes.Pointer, size);
            var read = 0;
            while (read < size)
            {
                var n = RandomAccess.Read(file, span.Slice(read), read);
                if (n <= 0) throw new IOException("cache entry shorter than its length: " + path);
                read += n;
            }
            if (RandomAccess.GetLength(file) != length) throw new IOException("cache entry changed while read: " + path);
            return bytes;
        }
        catch
        {
            bytes.Dispose();
            throw;
        }
    }

    protected override bool ReleaseHandle()
    {
        NativeMemory.AlignedFree((void*)handle);
        if (_reserved > 0) GC.RemoveMemoryPressure(_reserved);
        return true;
    }

    private const int MadvHugePage = 14;   // MADV_HUGEPAGE (Linux)

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int Madvise(void* address, nuint length, int advice);

    private static void AdviseHugePages(byte* address, long length)
    {
        try
        {
            _ = Madvise(address, (nuint)length, MadvHugePage);   // a refusal (no THP in this kernel) changes nothing
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // A libc without madvise under that name: ordinary pages.
        }
    }
}
