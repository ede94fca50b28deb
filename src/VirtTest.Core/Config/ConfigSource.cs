using System.Security.Cryptography;
using System.Text;

namespace VirtTest.Core.Config;

/// <summary>A config file the parser read: its full path and the SHA-256 of its bytes (hex).</summary>
public sealed record ConfigSource(string Path, string Hash)
{
    public static string HashOf(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes));

    /// <summary>The text of a file's bytes, decoded as File.ReadAllText does (UTF-8 unless a byte order mark says otherwise).</summary>
    public static string Decode(byte[] bytes)
    {
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>Whether the file still has the same bytes.</summary>
    public bool IsUnchanged()
    {
        try
        {
            return File.Exists(Path) && HashOf(File.ReadAllBytes(Path)) == Hash;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
