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
}
