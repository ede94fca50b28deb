using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// The line reader's one-pass scan against a plain statement of the rules it implements: lines
/// as str.splitlines() cuts them (\r\n as one break), white space as str.isspace() strips it,
/// blank lines and comments (#, //) dropped, tabs before the line's end expanded to 8 columns.
/// </summary>
public class LineReaderTests
{
    private static readonly char[] Alphabet =
        { 'a', 'b', '=', ' ', ' ', ' ', '\t', '\r', '\n', '\n', '\x0b', '\x0c', '\x1c', '\x1d', '\x1e', '\x1f', '\x85', '\u00a0', '\u2028', '\u2029', '\u3000', '#', '/', '\x7f', '\u00e9', '-' };

    /// <summary>The rules, written the slow way.</summary>
    private static List<(string Text, int Indent, int Number)> Expected(string text)
    {
        var lines = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (!PyText.IsLineBreak(text[i])) continue;
            lines.Add(text.Substring(start, i - start));
            if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
            start = i + 1;
        }
        if (start < text.Length) lines.Add(text.Substring(start));
        var result = new List<(string, int, int)>();
        for (var n = 0; n < lines.Count; n++)
        {
            var line = lines[n];
            var end = line.Length;
            while (end > 0 && PyText.IsSpace(line[end - 1])) end--;
            line = line.Substring(0, end);
            var stripped = PyText.LStrip(line);
            if (stripped.Length == 0 || stripped.StartsWith('#') || stripped.StartsWith("//", StringComparison.Ordinal)) continue;
            if (line.Contains('\t'))
            {
                var expanded = PyText.ExpandTabs(line);
                var s = PyText.LStrip(expanded);
                result.Add((s, expanded.Length - s.Length, n + 1));
            }
            else
            {
                result.Add((stripped, line.Length - stripped.Length, n + 1));
            }
        }
        return result;
    }

    private static List<(string Text, int Indent, int Number)> Read(string text)
    {
        using var source = SourceText.FromString(text);
        var reader = new LineReader(source, "<t>", isFile: false);
        var result = new List<(string, int, int)>();
        while (true)
        {
            var l = reader.Next(-1);
            if (l.IsEndOfBlock) return result;
            result.Add((l.ToString(source), l.Indent, l.Number));
        }
    }

    [Theory]
    [InlineData("a = 1\n  b = 2\r\n\tc = 3\n")]
    [InlineData("  # comment\n// also\n/ not a comment\n\n   \n x\t\n")]
    [InlineData("a\x0bb\x0cc\x1cd\x1de\x1ef\x85g\u2028h\u2029i")]
    [InlineData(" \t key = v \u00a0\u3000\x1f\r\n\r\r\n")]
    [InlineData("")]
    [InlineData("last line without a break")]
    public void Reads_the_lines_the_rules_give(string text) => Assert.Equal(Expected(text), Read(text));

    [Fact]
    public void Reads_random_text_as_the_rules_give()
    {
        var rng = new Random(20261206);
        for (var round = 0; round < 3000; round++)
        {
            var chars = new char[rng.Next(0, 80)];
            for (var i = 0; i < chars.Length; i++) chars[i] = Alphabet[rng.Next(Alphabet.Length)];
            var text = new string(chars);
            Assert.True(Expected(text).SequenceEqual(Read(text)), "text: " + string.Join(" ", text.Select(c => ((int)c).ToString("x"))));
        }
    }

    /// <summary>
    /// A file is read through a window a chunk at a time (<see cref="SourceText.OpenFile"/>):
    /// lines cut by a chunk's end, a \r\n split between two chunks, a UTF-8 character split
    /// between two chunks and lines longer than the window read as the whole text does; the
    /// hash is of all the bytes.
    /// </summary>
    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(24)]
    public void Reads_a_file_through_a_small_window_as_the_whole_text(int chunkBytes)
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "f.cfg");
        var rng = new Random(chunkBytes);
        var alphabet = Alphabet.Concat(new[] { '\u2603', '\u00e9', 'x', 'y' }).ToArray();
        for (var round = 0; round < 400; round++)
        {
            var chars = new char[rng.Next(0, round % 10 == 0 ? 300 : 80)];
            for (var i = 0; i < chars.Length; i++) chars[i] = alphabet[rng.Next(alphabet.Length)];
            var bytes = System.Text.Encoding.UTF8.GetBytes(chars);
            if (round % 7 == 0) bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(bytes).ToArray();
            if (round % 11 == 0 && bytes.Length > 3) bytes[rng.Next(bytes.Length)] = 0xE2;   // a broken sequence
            File.WriteAllBytes(path, bytes);
            var text = File.ReadAllText(path);
            using var source = SourceText.OpenFile(path, chunkBytes);
            var reader = new LineReader(source, "<t>", isFile: true);
            var lines = new List<(string, int, int)>();
            for (var l = reader.Next(-1); !l.IsEndOfBlock; l = reader.Next(-1)) lines.Add((l.ToString(source), l.Indent, l.Number));
            var what = "bytes: " + Convert.ToHexString(bytes);
            Assert.True(Expected(text).SequenceEqual(lines), what);
            Assert.True(ConfigSource.HashOf(bytes) == source.FinishHash(), what);
        }
    }

    /// <summary>The hash covers the bytes the parse did not read (a file hashed before its end was read).</summary>
    [Fact]
    public void A_file_s_hash_covers_what_was_not_read()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "f.cfg");
        var bytes = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 200).Select(i => "key_" + i + " = " + i + "\n")));
        File.WriteAllBytes(path, bytes);
        using var source = SourceText.OpenFile(path, 64);
        var reader = new LineReader(source, "<t>", isFile: true);
        Assert.Equal("key_0 = 0", reader.Next(-1).ToString(source));
        Assert.Equal(ConfigSource.HashOf(bytes), source.FinishHash());
    }
}
