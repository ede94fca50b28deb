using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>The shared loading path: files in order, then text, then filter lines; expansion options applied.</summary>
public class ConfigLoaderTests
{
    [Fact]
    public void Files_then_text_then_filters()
    {
        using var dir = new TempDir();
        var a = dir.Write("a.cfg", "x = from_a\nvariants:\n    - one:\n    - two:\n");
        var b = dir.Write("b.cfg", "y = from_b\n");
        var loaded = ConfigLoader.Load(new ConfigLoadOptions
        {
            Files = new[] { a, b },
            Text = "y = from_text\nz = ${y}",
            Filters = new[] { "two", "", "x = from_filter" },
            UseCache = false,
        });
        Assert.Equal(new[] { "only two", "x = from_filter" }, loaded.Filters);
        Assert.False(loaded.FromCache);
        var d = loaded.Expand().Single();
        Assert.Equal("two", d.Name);
        Assert.Equal("from_filter", d["x"]);
        Assert.Equal("from_text", d["z"]);
        Assert.Equal(new[] { a, b }, loaded.Config.FilesRead.Select(s => s.Path));
    }

    [Fact]
    public void Text_includes_resolve_against_the_given_folder()
    {
        using var dir = new TempDir();
        dir.Write("inc.cfg", "k = included\n");
        var d = ConfigLoader.Load(new ConfigLoadOptions { Text = "include inc.cfg", TextBaseDirectory = dir.Path, UseCache = false }).Expand().Single();
        Assert.Equal("included", d["k"]);
    }

    [Fact]
    public void Errors_in_text_name_the_text()
    {
        var e = Assert.Throws<ConfigError>(() => ConfigLoader.Load(new ConfigLoadOptions { Text = "a = 1\nvariants x$:\n", UseCache = false }));
        Assert.Equal("<text>", e.FileName);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Suffixed_keys_can_be_kept()
    {
        var text = "mem = 1\nvariants:\n    - v:\n        suffix _vm1\n";
        Assert.Equal("1", ConfigLoader.Load(new ConfigLoadOptions { Text = text, UseCache = false }).Expand().Single()["mem"]);
        Assert.Equal("1", ConfigLoader.Load(new ConfigLoadOptions { Text = text, KeepSuffixedKeys = true, UseCache = false }).Expand().Single()["mem_vm1"]);
    }
}
