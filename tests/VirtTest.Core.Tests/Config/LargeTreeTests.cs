using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

public class LargeTreeTests
{
    [Fact]
    public void Product_of_blocks_gives_every_combination_once()
    {
        var cfg = new CartesianConfig();
        cfg.ParseString(GeneratedTrees.Blocks(6, 5));
        var names = new HashSet<string>();
        var count = 0;
        foreach (var p in cfg.Expand())
        {
            count++;
            Assert.True(names.Add(p.Name), "duplicate " + p.Name);
            // The accumulated value records the path through the blocks in file order.
            var expectedAcc = string.Concat(Enumerable.Range(0, 6).Select(b => "." + p["key" + b]));
            Assert.Equal(expectedAcc, p["acc"]);
        }
        Assert.Equal(15625, count);
    }

    [Fact]
    public void Filters_cut_large_trees_to_the_expected_count()
    {
        var cfg = new CartesianConfig();
        cfg.ParseString(GeneratedTrees.Blocks(7, 6));
        cfg.AddFilter("only b0v1, b0v2");
        cfg.AddFilter("no b3v0..b4v0");
        cfg.AddFilter("only (blk5=b5v5)");
        // 2 * 6 * 6 * (36 - 1) * 1 * 6 = 15120
        Assert.Equal(15120, cfg.Expand().Count());
    }

    [Fact]
    public void Deep_nesting_does_not_overflow()
    {
        var sb = new System.Text.StringBuilder();
        for (var d = 0; d < 60; d++)
        {
            var pad = new string(' ', d * 8);
            sb.AppendLine(pad + "variants:");
            sb.AppendLine(pad + $"    - n{d}:");
            sb.AppendLine(pad + $"        k{d} = {d}");
        }
        var cfg = new CartesianConfig();
        cfg.ParseString(sb.ToString());
        var p = Assert.Single(cfg.Expand());
        Assert.Equal(string.Join(".", Enumerable.Range(0, 60).Select(i => "n" + i)), p.Name);
    }
}
