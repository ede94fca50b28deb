using System.Text;

namespace VirtTest.Core.Config;

/// <summary>A config file the parser read: its full path and a 128-bit hash of its bytes (32 hex digits; it detects changes, it is not cryptographic).</summary>
public sealed record ConfigSource(string Path, string Hash)
{
    public static string HashOf(byte[] bytes) => ContentHash.Of(bytes);

    /// <summary>The text of a file's bytes, decoded as File.ReadAllText does (UTF-8 unless a byte order mark says otherwise).</summary>
    public static string Decode(byte[] bytes)
    {
        // Without a byte order mark, or with UTF-8's, one call (a StreamReader would copy the text
        // twice more); UTF-16 and UTF-32 marks (FE FF, FF FE, 00 00 FE FF) go through the reader.
        if (!HasWideByteOrderMark(bytes))
        {
            var start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
            return AsciiFastText.FromUtf8(bytes.AsSpan(start));
        }
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>Whether the bytes start with a UTF-16 or UTF-32 byte order mark (FE FF, FF FE, 00 00 FE FF).</summary>
    internal static bool HasWideByteOrderMark(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 2 && ((bytes[0] == 0xFE && bytes[1] == 0xFF) || (bytes[0] == 0xFF && bytes[1] == 0xFE) ||
                              (bytes.Length >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0xFE && bytes[3] == 0xFF));

    /// <summary>Whether the file still has the same bytes.</summary>
    public bool IsUnchanged()
    {
        try
        {
            if (!File.Exists(Path)) return false;
            return ContentHash.OfFile(Path) == Hash;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
