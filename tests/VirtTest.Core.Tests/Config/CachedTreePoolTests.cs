using System.Text;
using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// The statement blocks of a cached tree share one string, one label and one set of filter words
/// per text (<see cref="CachedTreePool"/>) instead of a copy per block: the same text gives the
/// same object, different text never does, and the dicts are those of a parse.
/// </summary>
public class CachedTreePoolTests
{
    private static ReadOnlySpan<byte> Utf8(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void One_string_per_text_and_never_one_for_another_text()
    {
        var pool = new CachedTreePool();
        var made = new Dictionary<string, string>();
        // Enough texts to grow the table several times; near-equal texts (one character apart,
        // prefixes of each other) must stay apart.
        for (var i = 0; i < 5000; i++)
        {
            foreach (var text in new[] { "key" + i, "key" + i + "_", "kez" + i })
                made[text] = pool.String(Utf8(text));
        }
        foreach (var (text, s) in made)
        {
            Assert.Equal(text, s);
            Assert.Same(s, pool.String(Utf8(text)));
        }
        Assert.Same("", pool.String(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void ASCII_text_hashes_alike_as_bytes_and_as_characters()
    {
        // The pool looks strings up by their bytes and re-places them by their characters when it grows.
        var rng = new Random(5);
        for (var i = 0; i < 500; i++)
        {
            var text = new string(Enumerable.Range(0, rng.Next(0, 40)).Select(_ => (char)rng.Next(0, 128)).ToArray());
            Assert.Equal(OrderedStore.Hash(text), OrderedStore.Hash(Utf8(text)));
        }
    }

    [Fact]
    public void Text_beyond_ASCII_is_decoded_as_written()
    {
        var pool = new CachedTreePool();
        foreach (var text in new[] { "grüße", "日本語", "a\u00e9b", "😀" })
        {
            Assert.Equal(text, pool.String(Utf8(text)));
            Assert.Equal(text, pool.String(Utf8(text)));
        }
    }

    [Fact]
    public void One_label_per_name_and_block_name()
    {
        var pool = new CachedTreePool();
        var a = pool.String(Utf8("a"));
        var x = pool.String(Utf8("x"));
        var plain = pool.Label(a, null);
        var named = pool.Label(a, x);
        Assert.NotSame(plain, named);
        Assert.Null(plain.VarName);
        Assert.Equal("(x=a)", named.LongName);
        Assert.Same(plain, pool.Label(a, null));
        Assert.Same(named, pool.Label(a, x));
        var labels = Enumerable.Range(0, 2000).Select(i => pool.Label(pool.String(Utf8("n" + i)), i % 2 == 0 ? null : x)).ToList();
        for (var i = 0; i < labels.Count; i++)
        {
            Assert.Same(labels[i], pool.Label(pool.String(Utf8("n" + i)), i % 2 == 0 ? null : x));
            Assert.Equal("n" + i, labels[i].Name);
        }
    }

    [Fact]
    public void Filter_words_are_shared_only_for_the_same_line_and_the_same_labels()
    {
        var pool = new CachedTreePool();
        Label L(string name) => pool.Label(pool.String(Utf8(name)), null);
        var line = pool.String(Utf8("only a..b, c"));
        // Two words: a..b (two blocks of one label) and c (one block of one label).
        int[] shape = { 2, 2, 1, 1, 1, 1 };
        Label[] flat = { L("a"), L("b"), L("c") };
        Assert.False(pool.TryGetWords(line, shape, flat, out _));
        var words = new[] { new[] { new[] { flat[0] }, new[] { flat[1] } }, new[] { new[] { flat[2] } } };
        pool.AddWords(line, words);
        Assert.True(pool.TryGetWords(line, shape, flat, out var found));
        Assert.Same(words, found);
        // The same labels in another grouping, other labels, another line: not these words.
        Assert.False(pool.TryGetWords(line, new[] { 2, 1, 2, 1, 1 }, flat, out _));
        Assert.False(pool.TryGetWords(line, shape, new[] { L("a"), L("b"), L("d") }, out _));
        Assert.False(pool.TryGetWords(pool.String(Utf8("only a.b, c")), shape, flat, out _));
    }

    private static string Outcome(LoadedConfig loaded)
    {
        try
        {
            return string.Join("\n", loaded.Expand().Select(p => string.Join(";", p.Select(kv => kv.Key + "=" + kv.Value))));
        }
        catch (ConfigError e)
        {
            return "error: " + e.Message;
        }
    }

    /// <summary>
    /// Random configs with repeated filter lines (plain and named-block labels, conditions,
    /// negations, nested variants) expand to the same dicts from the cache as from a parse.
    /// </summary>
    [Fact]
    public void Cached_trees_give_the_dicts_of_a_parse()
    {
        using var dir = new TempDir();
        var cache = Path.Combine(dir.Path, "cache");
        var rng = new Random(71207);
        var compared = 0;
        for (var round = 0; round < 250; round++)
        {
            var text = new StringBuilder("variants:\n    - c:\n    - d:\n");
            FilterLineMemoTests.Statements(text, rng, 0, 0);
            if (rng.Next(4) == 0) text.Append("k0 = w\u00e9rt\n");
            var file = dir.Write("r" + round + ".cfg", text.ToString());
            LoadedConfig Load(bool useCache) =>
                ConfigLoader.Load(new ConfigLoadOptions { Files = new[] { file }, CacheDirectory = cache, UseCache = useCache });
            LoadedConfig parsed;
            try
            {
                parsed = Load(useCache: false);
            }
            catch (ConfigError)
            {
                continue;   // a config that does not parse is never cached
            }
            var expected = Outcome(parsed);
            Load(useCache: true);
            var cached = Load(useCache: true);
            Assert.True(cached.FromCache);
            Assert.True(expected == Outcome(cached), text.ToString());
            compared++;
        }
        Assert.True(compared > 150, $"only {compared} configs parsed");
    }

    [Fact]
    public void Blocks_of_a_cached_tree_share_their_filter_words_and_strings()
    {
        using var dir = new TempDir();
        var tests = RealTreeGenerator.Write(Path.Combine(dir.Path, "tree"), new RealTreeGenerator.Shape(Tests: 60, BaseKeys: 40, LinuxFamilies: 2, WindowsVersions: 2));
        var cache = Path.Combine(dir.Path, "cache");
        LoadedConfig Load() => ConfigLoader.Load(new ConfigLoadOptions { Files = new[] { tests }, CacheDirectory = cache, UseCache = true });
        Load();
        var cached = Load();
        Assert.True(cached.FromCache);
        var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Node>();
        stack.Push(cached.Config.Root);
        var filters = new List<ContentItem>();
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!seen.Add(n)) continue;
            foreach (var c in n.Children) stack.Push(c);
            filters.AddRange(n.Content.Where(c => c.Filter is not null));
        }
        var repeated = filters.GroupBy(f => f.Filter!.LineText).Where(g => g.Count() > 1).ToList();
        Assert.NotEmpty(repeated);
        foreach (var group in repeated)
        {
            var first = group.First();
            foreach (var f in group)
            {
                Assert.Same(first.Filter!.Words, f.Filter!.Words);
                Assert.Same(first.Filter.LineText, f.Filter.LineText);
                if (f.File == first.File) Assert.Same(first.File, f.File);
            }
        }
    }
}
