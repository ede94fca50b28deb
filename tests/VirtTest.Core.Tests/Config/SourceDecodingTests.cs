using System.Text;
using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// Config files are decoded as File.ReadAllText decodes them (UTF-8 unless a byte order mark says
/// otherwise, invalid bytes as U+FFFD), whichever path the parser takes for the bytes.
/// </summary>
public class SourceDecodingTests
{
    public static TheoryData<string, byte[]> Files() => new()
    {
        { "plain ASCII", Encoding.ASCII.GetBytes("a = 1\nb = two\n") },
        { "UTF-8 without a mark", Encoding.UTF8.GetBytes("name = caf\u00e9 \u2603\n") },
        { "UTF-8 with its mark", new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("k = v\u00e9\n")).ToArray() },
        { "UTF-16 LE with its mark", Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("k = \u00e9\n")).ToArray() },
        { "UTF-16 BE with its mark", Encoding.BigEndianUnicode.GetPreamble().Concat(Encoding.BigEndianUnicode.GetBytes("k = x\n")).ToArray() },
        { "UTF-32 LE with its mark", Encoding.UTF32.GetPreamble().Concat(Encoding.UTF32.GetBytes("k = x\n")).ToArray() },
        { "UTF-32 BE with its mark", new byte[] { 0, 0, 0xFE, 0xFF }.Concat(new UTF32Encoding(true, false).GetBytes("k = x\n")).ToArray() },
        { "invalid UTF-8 bytes", new byte[] { (byte)'k', (byte)'=', 0xC3, 0x28, 0xFF, 0xE2, 0x82, (byte)'\n', 0xF0, 0x9F } },
        { "a lone FE, not a mark", new byte[] { 0xFE, (byte)'a', (byte)'=', (byte)'1' } },
        { "an incomplete UTF-8 mark", new byte[] { 0xEF, 0xBB, (byte)'x' } },
        { "empty", Array.Empty<byte>() },
        { "ASCII past a word boundary, odd tail", Encoding.ASCII.GetBytes("key_number_one = value two three\n") },
        { "one non-ASCII character after 17 ASCII bytes", Encoding.UTF8.GetBytes("seventeen_bytes__\u00e9 = x\n") },
        { "a high byte in the tail only", Encoding.ASCII.GetBytes("12345678").Concat(new byte[] { (byte)'a', 0xE9 }).ToArray() },
    };

    /// <summary>Both decoders: the one for bytes in hand (the parse cache's checks) and the parser's file reader.</summary>
    [Theory]
    [MemberData(nameof(Files))]
    public void Decodes_like_ReadAllText_and_hashes_the_bytes(string what, byte[] bytes)
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "f.cfg");
        File.WriteAllBytes(path, bytes);
        var expected = File.ReadAllText(path);
        Assert.True(expected == ConfigSource.Decode(bytes), what);
        // The default chunk, and chunks small enough to cut the mark and UTF-8 sequences.
        foreach (var chunk in new[] { SourceText.DefaultChunkBytes, 8, 16 })
        {
            using var text = SourceText.ReadFile(path, out var hash, chunk);
            Assert.True(expected == text.Span.ToString(), what + " (file reader, chunks of " + chunk + ")");
            Assert.Equal(ConfigSource.HashOf(bytes), hash);
        }
    }

    [Fact]
    public void A_file_s_text_is_not_readable_once_disposed()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "f.cfg");
        File.WriteAllText(path, "a = 1\n");
        var text = SourceText.ReadFile(path, out _);
        Assert.Equal(6, text.Length);
        text.Dispose();
        Assert.Throws<ObjectDisposedException>(() => text.Span.Length);
        text.Dispose();   // twice is harmless
    }

    [Fact]
    public void A_file_with_a_UTF8_mark_parses_its_first_key_without_the_mark()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "bom.cfg");
        File.WriteAllBytes(path, new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("first = 1\n")).ToArray());
        var cfg = new CartesianConfig();
        cfg.ParseFile(path);
        Assert.Equal("1", cfg.Expand().Single()["first"]);
    }
}
