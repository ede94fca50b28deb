namespace VirtTest.Core.Tests.Config;

/// <summary>
/// <c>${...}</c> is a plain lookup of exactly what stands between the braces (the reference's
/// current rule); the first reference that names no key stops substitution for the rest of the value.
/// Expected values checked against the reference parser.
/// </summary>
public class SubstitutionLookupTests
{
    private static readonly Dictionary<string, string> D = Cfg.Expand("""
        mem-path_plug1 = /dev/shm/p1
        x86-64-march = x86-64-v2
        True = yes
        a = ${mem-path_plug1}:${x86-64-march}
        b = ${1} then ${mem-path_plug1}
        c = ${True}
        d = ${ a }
        e = ${a} ${nope} ${a}
        f = ${}${a}
        g = ${${a}}
        h = ${dep}
        """).Single().ToDictionary(kv => kv.Key, kv => kv.Value);

    [Fact]
    public void Keys_with_dashes_are_substituted()
    {
        Assert.Equal("/dev/shm/p1:x86-64-v2", D["a"]);
    }

    [Fact]
    public void Numbers_and_names_that_are_not_keys_stay_as_written_with_the_rest()
    {
        Assert.Equal("${1} then ${mem-path_plug1}", D["b"]);
        Assert.Equal("${ a }", D["d"]);
        Assert.Equal("/dev/shm/p1:x86-64-v2 ${nope} ${a}", D["e"]);
    }

    [Fact]
    public void A_key_named_like_a_literal_is_looked_up_too()
    {
        Assert.Equal("yes", D["c"]);
    }

    [Fact]
    public void Empty_braces_are_no_reference_and_nested_ones_name_no_key()
    {
        Assert.Equal("${}${a}", D["f"]);
        Assert.Equal("${${a}}", D["g"]);
    }

    [Fact]
    public void Dep_substitutes_as_the_reference_prints_its_list()
    {
        Assert.Equal("[]", D["h"]);
    }

    [Fact]
    public void Without_a_True_key_True_stays_as_written()
    {
        Assert.Equal("${True} ${1}", Cfg.Expand("x = ${True} ${1}").Single()["x"]);
    }

    /// <summary>
    /// A statement keeps its last result and the values it was made from: each leaf must still get
    /// its own values (x alternates between leaves, so a kept result would be wrong every other
    /// time), and leaves with the same values get the same string, not a new one.
    /// </summary>
    [Fact]
    public void Each_leaf_gets_its_own_values_and_equal_values_give_the_same_string()
    {
        var dicts = Cfg.Expand("""
            variants:
                - p:
                - q:
            variants:
                - a:
                    x = one
                - b:
                    x = two
                - c:
                    x = one
            y = ${x}-${z}-${x}
            z = late
            w = ${x}/${z}
            """);
        Assert.Equal(6, dicts.Count);
        Assert.Equal(new[] { "one", "one", "two", "two", "one", "one" }, dicts.Select(d => d["x"]));
        foreach (var d in dicts)
        {
            Assert.Equal(d["x"] + "-${z}-${x}", d["y"]);
            Assert.Equal(d["x"] + "/late", d["w"]);
        }
        // Leaves in a row with the very same value of x (one statement set it): one string.
        for (var i = 0; i < dicts.Count; i += 2) Assert.Same(dicts[i]["w"], dicts[i + 1]["w"]);
        Assert.NotSame(dicts[0]["w"], dicts[4]["w"]);   // equal text, set by another statement: made anew
    }
}
