using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// The parse cache: a second load of unchanged files comes from it and expands to the same dicts;
/// any changed, added or removed include invalidates it; a corrupt or truncated entry is ignored
/// and rewritten; concurrent writers are safe; -NoCache reads and writes nothing.
/// </summary>
public class ParseCacheTests
{
    private static LoadedConfig Load(string cacheDir, string file, bool useCache = true, params string[] filters) =>
        ConfigLoader.Load(new ConfigLoadOptions { Files = new[] { file }, Filters = filters, CacheDirectory = cacheDir, UseCache = useCache });

    private static List<string> Dump(LoadedConfig c) =>
        c.Expand().Select(p => string.Join("\u0001", p.Select(kv => kv.Key + "=" + kv.Value))).ToList();

    private static (TempDir Dir, string Main, string Cache) Tree()
    {
        var dir = new TempDir();
        dir.Write("inc/part.cfg", "variants:\n    - p1:\n        k = one\n    - p2:\n        k = two\n");
        var main = dir.Write("main.cfg", "base = 1\ninclude inc/part.cfg\nvariants os:\n    - linux:\n        x = ${k}\n    - windows:\n");
        return (dir, main, Path.Combine(dir.Path, "cache"));
    }

    [Fact]
    public void A_second_load_comes_from_the_cache_with_the_same_dicts()
    {
        var (dir, main, cache) = Tree();
        using var _ = dir;
        var first = Load(cache, main);
        Assert.False(first.FromCache);
        var second = Load(cache, main, filters: "linux");
        Assert.True(second.FromCache);
        Assert.Equal(Dump(first).Where(d => d.Contains("os=linux", StringComparison.Ordinal)), Dump(second));
        Assert.Equal(Dump(Load(cache, main, useCache: false)), Dump(Load(cache, main)));
        Assert.Equal(new[] { "linux", "windows", "p1", "p2" }.Order(), Load(cache, main).Config.VariantNames.Order());
    }

    [Fact]
    public void A_cached_trees_variant_names_are_read_when_asked_for_with_those_parsed_after_it()
    {
        var (dir, main, cache) = Tree();
        using var _ = dir;
        var parsed = ConfigLoader.Load(new ConfigLoadOptions { Files = new[] { main }, Text = "variants:\n    - extra:\n", CacheDirectory = cache, UseCache = true });
        var cached = ConfigLoader.Load(new ConfigLoadOptions { Files = new[] { main }, Text = "variants:\n    - extra:\n", CacheDirectory = cache, UseCache = true });
        Assert.False(parsed.FromCache);
        Assert.True(cached.FromCache);
        // The same names in the same order: the tree's (from the cache, read now), then the text's.
        Assert.Equal(parsed.Config.VariantNames, cached.Config.VariantNames);
        Assert.Equal(new[] { "extra", "linux", "p1", "p2", "windows" }, cached.Config.VariantNames.Order());
        Assert.Equal(Dump(parsed), Dump(cached));
    }

    [Fact]
    public void Text_beyond_ASCII_comes_back_from_the_cache_as_written()
    {
        using var dir = new TempDir();
        var main = dir.Write("caf\u00e9.cfg", "name_\u00e9 = caf\u00e9 \u2603 \U0001F600\nplain = ascii only, past eight bytes\nvariants:\n    - gr\u00fc\u00df:\n        k = \u00fc\n");
        var cache = Path.Combine(dir.Path, "cache");
        var parsed = Dump(Load(cache, main));
        var cached = Load(cache, main);
        Assert.True(cached.FromCache);
        Assert.Equal(parsed, Dump(cached));
        var d = cached.Expand().Single();
        Assert.Equal("caf\u00e9 \u2603 \U0001F600", d["name_\u00e9"]);
        Assert.Equal("gr\u00fc\u00df", d.Name);
    }

    [Fact]
    public void A_changed_include_invalidates_the_entry()
    {
        var (dir, main, cache) = Tree();
        using var _ = dir;
        Load(cache, main);
        dir.Write("inc/part.cfg", "variants:\n    - p1:\n        k = changed\n");
        var again = Load(cache, main);
        Assert.False(again.FromCache);
        Assert.Equal("changed", again.Expand().First()["k"]);
        Assert.True(Load(cache, main).FromCache);
    }

    [Fact]
    public void An_added_or_removed_include_invalidates_the_entry()
    {
        var (dir, main, cache) = Tree();
        using var _ = dir;
        Load(cache, main);
        dir.Write("extra.cfg", "extra = yes\n");
        File.AppendAllText(main, "include extra.cfg\n");
        var added = Load(cache, main);
        Assert.False(added.FromCache);
        Assert.Equal("yes", added.Expand().First()["extra"]);
        File.Delete(Path.Combine(dir.Path, "extra.cfg"));
        // The file that includes it is unchanged, but the include is gone: no stale tree.
        Assert.Throws<ConfigError>(() => Load(cache, main));
    }

    [Theory]
    [InlineData("truncate")]
    [InlineData("garbage")]
    [InlineData("empty")]
    public void A_damaged_entry_is_ignored_and_rewritten(string damage)
    {
        var (dir, main, cache) = Tree();
        using var _ = dir;
        var expected = Dump(Load(cache, main));
        var entry = Directory.GetFiles(cache, "*.tree").Single();
        var bytes = File.ReadAllBytes(entry);
        File.WriteAllBytes(entry, damage switch
        {
            "truncate" => bytes[..(bytes.Length / 2)],
            "garbage" => bytes.Select((b, i) => i > 40 ? (byte)(b ^ 0x5a) : b).ToArray(),
            _ => Array.Empty<byte>(),
        });
        var reloaded = Load(cache, main);
        Assert.False(reloaded.FromCache);
        Assert.Equal(expected, Dump(reloaded));
        Assert.True(Load(cache, main).FromCache);
        Assert.Equal(expected, Dump(Load(cache, main)));
    }

    [Fact]
    public void Concurrent_loads_share_the_cache_safely()
    {
        var (dir, main, cache) = Tree();
        using var _ = dir;
        var expected = Dump(Load(cache, main, useCache: false));
        var results = new List<string>[16];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => results[i] = Dump(Load(cache, main)));
        Assert.All(results, r => Assert.Equal(expected, r));
        Assert.Single(Directory.GetFiles(cache, "*.tree"));
        Assert.Empty(Directory.GetFiles(cache, "*.tmp"));
    }

    [Fact]
    public void Without_the_cache_nothing_is_read_or_written()
    {
        var (dir, main, cache) = Tree();
        using var _ = dir;
        Assert.False(Load(cache, main, useCache: false).FromCache);
        Assert.False(Directory.Exists(cache));
    }

    [Fact]
    public void A_real_tree_shaped_config_gives_the_same_dicts_from_the_cache()
    {
        using var dir = new TempDir();
        var tests = RealTreeGenerator.Write(Path.Combine(dir.Path, "tree"), new RealTreeGenerator.Shape(Tests: 40, BaseKeys: 60, LinuxFamilies: 2, WindowsVersions: 2));
        var cache = Path.Combine(dir.Path, "cache");
        var parsed = Dump(Load(cache, tests));
        var cached = Load(cache, tests);
        Assert.True(cached.FromCache);
        Assert.NotEmpty(parsed);
        Assert.Equal(parsed, Dump(cached));
    }

    [Fact]
    public void The_default_folder_follows_XDG_CACHE_HOME()
    {
        var old = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        try
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", "/tmp/xdg-test");
            Assert.Equal(Path.Combine("/tmp/xdg-test", "virttest", "config"), ParseCache.DefaultDirectory());
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", null);
            Assert.EndsWith(Path.Combine(".cache", "virttest", "config"), ParseCache.DefaultDirectory());
        }
        finally
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", old);
        }
    }
}
