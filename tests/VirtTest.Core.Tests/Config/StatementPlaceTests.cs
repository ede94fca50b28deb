using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// A statement carries its own file and line: an error raised while a dict is built names the
/// place of the statement that raised it, whether the tree was just parsed or read back from
/// the parse cache, and in an included file the included file's own line.
/// </summary>
public class StatementPlaceTests
{
    private static ConfigError ExpansionFails(string main, string cache, bool expectFromCache)
    {
        var loaded = ConfigLoader.Load(new ConfigLoadOptions { Files = new[] { main }, CacheDirectory = cache, UseCache = true });
        Assert.Equal(expectFromCache, loaded.FromCache);
        return Assert.Throws<ConfigError>(() => loaded.Expand().ToList());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_bad_key_pattern_names_its_own_file_and_line(bool fromCache)
    {
        using var dir = new TempDir();
        var inner = dir.Write("inner.cfg", "a = 1\nb = 2\nc( ?= 3\n");
        var main = dir.Write("main.cfg", "x = 1\nvariants:\n    - one:\n        include inner.cfg\n    - two:\n");
        var cache = System.IO.Path.Combine(dir.Path, "cache");
        if (fromCache) _ = ExpansionFails(main, cache, expectFromCache: false);
        var e = ExpansionFails(main, cache, expectFromCache: fromCache);
        Assert.Equal(ConfigErrorKind.Expansion, e.Kind);
        Assert.Equal(inner, e.FileName);
        Assert.Equal(3, e.Line);
        Assert.Contains("c(", e.Message);
    }
}
