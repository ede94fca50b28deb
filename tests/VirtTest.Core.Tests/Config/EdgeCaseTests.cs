using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>Odd inputs, checked against what the reference parser does with them.</summary>
public class EdgeCaseTests
{
    [Fact]
    public void Unclosed_or_empty_references_stay_as_written()
    {
        // An unfinished '${' at the end of a value used to throw.
        var p = Assert.Single(Cfg.Expand("""
            a = ${
            b = x${
            c = ${}
            d = ${a}${
            e = $${a}}
            """));
        Assert.Equal("${", p["a"]);
        Assert.Equal("x${", p["b"]);
        Assert.Equal("${}", p["c"]);
        Assert.Equal("${${", p["d"]);
        Assert.Equal("$${}", p["e"]);
    }

    [Fact]
    public void A_filter_with_an_empty_part_fails_when_it_is_first_evaluated()
    {
        // 'a    .b' is two alternatives, 'a' and '.b', and the second has an empty first part.
        var cfg = new CartesianConfig();
        cfg.ParseString(Cfg.Dedent("""
            variants:
                - a:
                - b:
            b:
                no a    .b
            """), "test.cfg");
        var names = new List<string>();
        var e = Assert.Throws<ConfigError>(() =>
        {
            foreach (var p in cfg.Expand()) names.Add(p.Name);
        });
        Assert.Equal(ConfigErrorKind.Filter, e.Kind);
        Assert.Equal(new[] { "a" }, names);
    }
}
