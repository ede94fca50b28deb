using System.Buffers.Binary;
using System.Numerics;

namespace VirtTest.Core.Config;

/// <summary>
/// The 128-bit content hash the parse cache tells files apart by: two 64-bit lanes of
/// multiply-rotate mixing over 8-byte words, each finished with an avalanche. It detects
/// changes; it is not a cryptographic hash (a config file can say anything anyway). Computed in
/// managed code because the first use of the platform's cryptography (OpenSSL) costs tens of
/// milliseconds, more than parsing a large config from the cache.
/// </summary>
internal static class ContentHash
{
    private const ulong P1 = 0x9E3779B185EBCA87UL;
    private const ulong P2 = 0xC2B2AE3D27D4EB4FUL;
    private const ulong P3 = 0x165667B19E3779F9UL;
    private const ulong P4 = 0x85EBCA77C2B2AE63UL;

    /// <summary>The hash of <paramref name="data"/> as 32 lower-case hex digits.</summary>
    public static string Of(ReadOnlySpan<byte> data) => ToHex(Compute(data));

    /// <summary>
    /// The hash of a file's bytes (IO errors propagate), read a chunk at a time through one
    /// buffer on the stack: reading a large file whole first touched a page of fresh memory per
    /// 4 KiB (see <see cref="SourceText"/>), each a page fault, to look at the bytes once.
    /// </summary>
    public static string OfFile(string path)
    {
        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            var length = RandomAccess.GetLength(file);
            if (length > 0)
            {
                var hasher = new Hasher(length);
                Span<byte> buffer = stackalloc byte[16 * 1024];
                long offset = 0;
                int n;
                while ((n = RandomAccess.Read(file, buffer, offset)) > 0)
                {
                    hasher.Append(buffer.Slice(0, n));
                    offset += n;
                }
                if (offset == length) return ToHex(hasher.Finish());
            }
        }
        // No length (a pipe, a /proc file), or one that changed while it was read: the whole file at once.
        return Of(File.ReadAllBytes(path));
    }

    /// <summary>A hash as 32 lower-case hex digits.</summary>
    public static string ToHex((ulong, ulong) hash)
    {
        var (a, b) = hash;
        // By hand: ulong.ToString("x16")'s vectorized helper is not precompiled and would be
        // compiled at run time on the first hash of a session.
        Span<char> hex = stackalloc char[32];
        for (var i = 0; i < 16; i++)
        {
            hex[15 - i] = HexDigits[(int)((a >> (4 * i)) & 0xF)];
            hex[31 - i] = HexDigits[(int)((b >> (4 * i)) & 0xF)];
        }
        return new string(hex);
    }

    private const string HexDigits = "0123456789abcdef";

    /// <summary>Bytes as lower-case hex digits (by hand, for the reason above).</summary>
    public static string Hex(ReadOnlySpan<byte> bytes)
    {
        var hex = new char[bytes.Length * 2];
        for (var i = 0; i < bytes.Length; i++)
        {
            hex[2 * i] = HexDigits[bytes[i] >> 4];
            hex[2 * i + 1] = HexDigits[bytes[i] & 0xF];
        }
        return new string(hex);
    }

    public static (ulong, ulong) Compute(ReadOnlySpan<byte> data)
    {
        var hasher = new Hasher(data.Length);
        hasher.Append(data);
        return hasher.Finish();
    }

    /// <summary>
    /// The same hash over bytes that arrive in pieces (a file read a chunk at a time). The
    /// length goes in first, as the one-piece hash mixes it in before the words; whether the
    /// pieces added up to it is <see cref="Length"/>'s to tell.
    /// </summary>
    public struct Hasher
    {
        private ulong _h1;
        private ulong _h2;
        private ulong _pending;      // bytes of a word not complete yet, lowest first
        private int _pendingCount;

        public Hasher(long length)
        {
            _h1 = P1 ^ (ulong)length;
            _h2 = P2 + (ulong)length;
        }

        /// <summary>The number of bytes appended so far.</summary>
        public long Length { get; private set; }

        public unsafe void Append(ReadOnlySpan<byte> data)
        {
            Length += data.Length;
            var i = 0;
            while (_pendingCount > 0 && i < data.Length)
            {
                _pending |= (ulong)data[i++] << (8 * _pendingCount);
                if (++_pendingCount == 8)
                {
                    Mix(_pending);
                    _pending = 0;
                    _pendingCount = 0;
                }
            }
            // Words read through a pointer: in the precompiled code a call per word (the framework's
            // readers are not inlined across assemblies there) made this several times slower.
            var h1 = _h1;
            var h2 = _h2;
            fixed (byte* p = data)
            {
                for (; i + 8 <= data.Length; i += 8)
                {
                    var v = *(ulong*)(p + i);
                    if (!BitConverter.IsLittleEndian) v = BinaryPrimitives.ReverseEndianness(v);
                    h1 = BitOperations.RotateLeft(h1 ^ (v * P2), 31) * P1;
                    h2 = BitOperations.RotateLeft(h2 + (v * P3), 27) * P4 + h1;
                }
            }
            _h1 = h1;
            _h2 = h2;
            for (; i < data.Length; i++) _pending |= (ulong)data[i] << (8 * _pendingCount++);
        }

        private void Mix(ulong v)
        {
            _h1 = BitOperations.RotateLeft(_h1 ^ (v * P2), 31) * P1;
            _h2 = BitOperations.RotateLeft(_h2 + (v * P3), 27) * P4 + _h1;
        }

        /// <summary>The hash; the bytes short of a word (none at all included) are the last word.</summary>
        public (ulong, ulong) Finish()
        {
            Mix(_pending);
            return (Avalanche(_h1 ^ (_h2 >> 17)), Avalanche(_h2 ^ (_h1 << 13)));
        }
    }

    private static ulong Avalanche(ulong h)
    {
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        h ^= h >> 33;
        return h;
    }
}
