using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>The one rule for a filter line on its own: statements as written, bare filters as 'only'.</summary>
public class FilterLineTests
{
    [Theory]
    [InlineData("only qcow2", "only qcow2")]
    [InlineData("  no Windows  ", "no Windows")]
    [InlineData("join a b", "join a b")]
    [InlineData("del image_size", "del image_size")]
    [InlineData("mem = 2048", "mem = 2048")]
    [InlineData("qcow2: mem = 2048", "qcow2: mem = 2048")]
    [InlineData("!Windows: x = 1", "!Windows: x = 1")]
    [InlineData("include extra.cfg", "include extra.cfg")]
    [InlineData("qcow2..smp2", "only qcow2..smp2")]
    [InlineData("(image_format=qcow2).boot", "only (image_format=qcow2).boot")]
    [InlineData("nothing_special", "only nothing_special")]
    [InlineData("delta", "only delta")]
    [InlineData("nosuch, other", "only nosuch, other")]
    public void Lines_become_statements(string line, string statement)
    {
        Assert.Equal(statement, FilterLine.Normalize(line));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Blank_lines_are_no_statement(string? line)
    {
        Assert.Null(FilterLine.Normalize(line));
    }

    [Fact]
    public void A_del_filter_deletes_rather_than_filters()
    {
        var cfg = new CartesianConfig();
        cfg.ParseString("a = 1\nb = 2\nvariants:\n    - x:\n    - y:\n");
        cfg.AddFilter("del a");
        cfg.AddFilter("y");
        var d = cfg.Expand().Single();
        Assert.Equal("y", d.Name);
        Assert.False(d.ContainsKey("a"));
        Assert.Equal("2", d["b"]);
    }
}
