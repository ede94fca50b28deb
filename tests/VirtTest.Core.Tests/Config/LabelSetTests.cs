using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// A variants block's label set holds every name below it once (few names are looked through,
/// many go through a hash set), over the set its variants started from, however deep the chain.
/// </summary>
public class LabelSetTests
{
    [Fact]
    public void A_union_contains_exactly_the_names_below_it()
    {
        var rng = new Random(1207);
        for (var round = 0; round < 300; round++)
        {
            var pool = Enumerable.Range(0, rng.Next(1, 60)).Select(i => "n" + i).ToArray();
            Label Pick() => rng.Next(4) == 0 ? new Label(pool[rng.Next(pool.Length)], "v") : new Label(pool[rng.Next(pool.Length)]);
            var below = LabelSet.Empty;
            var expectedNames = new HashSet<string>();
            var expectedLong = new HashSet<string>();
            for (var depth = rng.Next(1, 9); depth > 0; depth--)
            {
                var variants = new List<LabelSet>();
                for (var v = rng.Next(0, 4); v > 0; v--)
                {
                    var added = Enumerable.Range(0, rng.Next(0, 30)).Select(_ => Pick()).ToList();
                    variants.Add(LabelSet.Union(below, Array.Empty<LabelSet>(), added));
                    expectedNames.UnionWith(added.Select(l => l.Name));
                    expectedLong.UnionWith(added.Select(l => l.LongName));
                }
                var names = Enumerable.Range(0, rng.Next(0, 25)).Select(_ => Pick()).ToList();
                expectedNames.UnionWith(names.Select(l => l.Name));
                expectedLong.UnionWith(names.Select(l => l.LongName));
                below = LabelSet.Union(below, variants, names);
            }
            foreach (var name in pool.Append("absent"))
            {
                Assert.Equal(expectedNames.Contains(name), below.Contains(new Label(name)));
                var full = new Label(name, "v");
                Assert.Equal(expectedLong.Contains(full.LongName), below.Contains(full));
            }
            Assert.Equal(below.OwnNames.Count, below.OwnNames.Distinct().Count());
        }
    }

    [Fact]
    public void A_union_keeps_each_name_once_in_the_order_first_met()
    {
        // Many variants naming the same few hundred names: past the look-through size the
        // names go through a hash set, its room made once from what is gathered.
        var rng = new Random(4);
        var pool = Enumerable.Range(0, 400).Select(i => "t" + i).ToArray();
        var below = LabelSet.Union(LabelSet.Empty, Array.Empty<LabelSet>(), new[] { new Label("base") });
        var variants = new List<LabelSet>();
        var names = new List<Label[]>();
        var order = new List<string>();
        var longOrder = new List<string>();
        for (var v = 0; v < 50; v++)
        {
            var added = Enumerable.Range(0, rng.Next(0, 40)).Select(_ => rng.Next(3) == 0 ? new Label(pool[rng.Next(pool.Length)], "x") : new Label(pool[rng.Next(pool.Length)])).ToList();
            variants.Add(LabelSet.Union(below, Array.Empty<LabelSet>(), added));
            order.AddRange(added.Select(l => l.Name));
            longOrder.AddRange(added.Select(l => l.LongName));
        }
        for (var v = 0; v < 50; v++)
        {
            var own = Enumerable.Range(0, rng.Next(1, 3)).Select(_ => new Label(pool[rng.Next(pool.Length)])).ToArray();
            names.Add(own);
        }
        order.AddRange(names.SelectMany(n => n).Select(l => l.Name));
        longOrder.AddRange(names.SelectMany(n => n).Select(l => l.LongName));
        var union = LabelSet.Union(below, variants.ToArray(), names.ToArray());
        Assert.Equal(order.Distinct(), union.OwnNames);
        Assert.Equal(longOrder.Distinct(), union.OwnLongNames);
        Assert.True(union.Contains(new Label("base")));
        Assert.False(union.Contains(new Label("t400")));
    }
}
