using System.Text;
using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// The expander reuses the dict built from the statements that many leaves share (typically a big
/// block of base settings). These cases pin what must not leak from one leaf into another.
/// </summary>
public class PrefixReuseTests
{
    /// <summary>40 plain base keys (enough to be worth reusing), then the given text.</summary>
    private static List<VirtParams> WithBase(string text)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < 40; i++) sb.AppendLine($"base{i} = v{i}");
        sb.Append(Cfg.Dedent(text));
        var cfg = new CartesianConfig();
        cfg.ParseString(sb.ToString(), "test.cfg");
        return cfg.Expand().ToList();
    }

    [Fact]
    public void Substitutions_of_reserved_keys_see_each_leafs_own_values()
    {
        var dicts = WithBase("""
            full = ${name}
            short = ${shortname}
            variants:
                - a1:
                - a2:
                - a3:
            variants:
                - b1:
                    late = ${name}/${shortname}
                - b2:
                    late = ${name}/${shortname}
            """);
        Assert.Equal(6, dicts.Count);
        foreach (var p in dicts)
        {
            Assert.Equal(p.Name, p["full"]);
            Assert.Equal(p.ShortName, p["short"]);
            Assert.Equal(p.Name + "/" + p.ShortName, p["late"]);
        }
    }

    [Fact]
    public void Dependencies_substitute_per_leaf()
    {
        var dicts = WithBase("""
            variants:
                - one:
                - two: one
                    deps = ${dep}
                - three: one two
                    deps = ${dep}
            variants:
                - x:
                - y:
            """);
        var byName = dicts.ToDictionary(p => p.Name);
        Assert.Equal("['y.one']", byName["y.two"]["deps"]);
        Assert.Equal("['x.one', 'x.two']", byName["x.three"]["deps"]);
        Assert.Equal(new[] { "x.one", "x.two" }, byName["x.three"].Dep);
        Assert.False(byName["x.one"].ContainsKey("deps"));
    }

    [Fact]
    public void Key_order_and_values_match_a_fresh_build_for_every_leaf()
    {
        var dicts = WithBase("""
            variants:
                - p:
                    base3 = changed
                    del base5
                    base5 = back
                - q:
                    base.* ?+= _q
                - r:
                    extra = 1
            variants:
                - s:
                    base1 <= pre_
                - t:
            """);
        Assert.Equal(6, dicts.Count);
        foreach (var p in dicts)
        {
            // Statements apply in file order: the p/q/r block's body (and its names in the
            // per-file name maps), then the s/t block's.
            var expected = new List<KeyValuePair<string, string>>
            {
                new("name", p.Name), new("dep", ""), new("shortname", p.ShortName),
            };
            for (var i = 0; i < 40; i++) expected.Add(new($"base{i}", $"v{i}"));
            void Set(string k, string v)
            {
                var i = expected.FindIndex(e => e.Key == k);
                if (i >= 0) expected[i] = new(k, v);
                else expected.Add(new(k, v));
            }
            if (p.Name.StartsWith("s.", StringComparison.Ordinal)) Set("base1", "pre_v1");
            if (p.Name.EndsWith(".p", StringComparison.Ordinal))
            {
                Set("base3", "changed");
                expected.RemoveAll(e => e.Key == "base5");
                Set("base5", "back");
            }
            if (p.Name.EndsWith(".q", StringComparison.Ordinal))
            {
                for (var i = 0; i < expected.Count; i++)
                {
                    if (expected[i].Key.StartsWith("base", StringComparison.Ordinal)) expected[i] = new(expected[i].Key, expected[i].Value + "_q");
                }
            }
            if (p.Name.EndsWith(".r", StringComparison.Ordinal)) Set("extra", "1");
            Set("_name_map_file", "{'test.cfg': '" + p.Name + "'}");
            Set("_short_name_map_file", "{'test.cfg': '" + p.ShortName + "'}");
            Assert.Equal(expected, p.ToList());
        }
    }

    [Fact]
    public void Suffixes_and_size_rules_apply_per_leaf()
    {
        var dicts = WithBase("""
            mem = 1024
            variants:
                - small:
                    mem_max = 512
                - big:
                    mem_min = 4096
                - plain:
            variants:
                - vm1:
                    suffix _vm1
                - vm2:
                    mem = 2048
            """);
        var byName = dicts.ToDictionary(p => p.Name, p => p);
        // Size rules skip suffixed keys: after 'suffix _vm1' they leave mem alone.
        Assert.Equal("1024", byName["vm1.small"]["mem"]);
        Assert.Equal("512", byName["vm1.small"]["mem_max"]);
        Assert.Equal("1024", byName["vm1.big"]["mem"]);
        Assert.Equal("1024", byName["vm1.plain"]["mem"]);
        Assert.Equal("512", byName["vm2.small"]["mem"]);
        Assert.Equal("4096", byName["vm2.big"]["mem"]);
        Assert.Equal("2048", byName["vm2.plain"]["mem"]);
        Assert.Equal(new[] { "base39", "mem", "mem_max" }, byName["vm1.small"].Keys.Where(k => k[0] != '_').TakeLast(3));
        Assert.Equal(new[] { "base38", "base39", "mem" }, byName["vm2.plain"].Keys.Where(k => k[0] != '_').TakeLast(3));
    }

    [Fact]
    public void Enumerating_twice_gives_the_same_dicts()
    {
        var cfg = new CartesianConfig();
        cfg.ParseString(GeneratedTrees.Blocks(4, 4));
        var first = cfg.Expand().Select(p => string.Join(";", p.Select(kv => kv.Key + "=" + kv.Value))).ToList();
        var second = cfg.Expand().Select(p => string.Join(";", p.Select(kv => kv.Key + "=" + kv.Value))).ToList();
        Assert.Equal(256, first.Count);
        Assert.Equal(first, second);
    }

    /// <summary>
    /// Differential check on real-tree-shaped trees: the same tree with a first statement that
    /// reads <c>name</c> (which stops all reuse, so every dict is built from scratch) gives the
    /// same dicts, that key aside. The plain run builds its dicts from kept dicts, flat and held
    /// as differences, with changes to shared slots kept sparse or copied.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void Dicts_made_from_kept_dicts_equal_dicts_built_from_scratch(int seed)
    {
        using var dir = new TempDir();
        var shape = new RealTreeGenerator.Shape(Tests: 40, BaseKeys: 150, LinuxFamilies: 2, WindowsVersions: 2, Seed: seed);
        var tests = RealTreeGenerator.Write(Path.Combine(dir.Path, "reused"), shape);
        var scratch = RealTreeGenerator.Write(Path.Combine(dir.Path, "scratch"), shape);
        File.WriteAllText(scratch, "zz_from_scratch = ${name}\n" + File.ReadAllText(scratch));

        static List<List<KeyValuePair<string, string>>> Expand(string file) =>
            ConfigLoader.Load(new ConfigLoadOptions { Files = new[] { file }, UseCache = false }).Expand().Select(p => p.ToList()).ToList();
        var reused = Expand(tests);
        var fromScratch = Expand(scratch);
        Assert.True(reused.Count > 100, "enough leaves for kept dicts to be used: " + reused.Count);
        Assert.Equal(reused.Count, fromScratch.Count);
        Assert.Equal(fromScratch[0][0].Value, fromScratch[0].Single(kv => kv.Key == "zz_from_scratch").Value);
        // (Suffixed tests carry it as zz_from_scratch_vm1 and _vm2.)
        for (var i = 0; i < reused.Count; i++)
            Assert.Equal(reused[i], fromScratch[i].Where(kv => !kv.Key.StartsWith("zz_from_scratch", StringComparison.Ordinal)).ToList());
    }
}
