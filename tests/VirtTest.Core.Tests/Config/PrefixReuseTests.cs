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
}
