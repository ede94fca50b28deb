using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// A substitution in a dict with suffixed keys looks keys up as the folded dict
/// (<see cref="WorkingDict.FoldSuffixes"/>) has them, without folding it: for every key,
/// the lookup must give what the folded dict gives, whatever mix of plain keys, suffixed keys,
/// equal and different values, removed keys and shared storage the dict has. The folded dict
/// itself may sit on shared storage, and must then hold what a flat one would.
/// </summary>
public class FoldedLookupTests
{
    private const char Sep = WorkingDict.TupleSeparator;

    /// <summary>Every name a lookup could ask for: the bases, the suffixed keys' folded names (both orders), the raw tuple keys and absent ones.</summary>
    private static IEnumerable<string> Probes(WorkingDict d)
    {
        var probes = new HashSet<string> { "absent", "name", "dep", "shortname" };
        for (var slot = 0; slot < d.RawCount; slot++)
        {
            if (d.KeyAt(slot) is not { } key) continue;
            var parts = key.Split(Sep);
            probes.Add(key);
            probes.Add(parts[0]);
            probes.Add(string.Concat(parts));
            probes.Add(parts[0] + string.Concat(parts.Skip(1).Reverse()));
        }
        return probes;
    }

    private static void AssertSameAsFold(WorkingDict d, string context)
    {
        var folded = Folded(d);
        foreach (var probe in Probes(d))
        {
            var hash = OrderedStore.Hash(probe);
            var expectedFound = folded.TryGetValue(probe, hash, out var expected);
            var found = d.TryGetFoldedValue(probe, hash, out var actual);
            Assert.True(expectedFound == found, $"{context}: '{probe.Replace(Sep, '|')}' found {found}, the fold says {expectedFound}");
            if (found) Assert.True(expected == actual, $"{context}: '{probe.Replace(Sep, '|')}' = '{actual}', the fold says '{expected}'");
        }
    }

    private static string RandomKey(Random rng, bool plainOnly = false)
    {
        var key = "k" + rng.Next(0, 6);
        var suffixes = plainOnly || rng.Next(0, 4) == 0 ? 0 : rng.Next(0, 3);
        for (var i = 0; i < suffixes; i++) key += Sep + "_s" + rng.Next(0, 3);
        return key;
    }

    private static void RandomHistory(WorkingDict d, Random rng, int operations, bool plainOnly = false)
    {
        for (var op = 0; op < operations; op++)
        {
            var key = RandomKey(rng, plainOnly);
            if (rng.Next(0, 6) == 0) d.Remove(key, out _);
            else d.Set(key, OrderedStore.Hash(key), "v" + rng.Next(0, 3));
        }
    }

    /// <summary>A folded copy (the dict itself stays as it is).</summary>
    private static WorkingDict Folded(WorkingDict d)
    {
        var copy = d.Copy();
        copy.FoldSuffixes();
        return copy;
    }

    /// <summary>A dict with its reserved keys, as a leaf's starts.</summary>
    private static WorkingDict NewDict(bool keepDuplicates = false)
    {
        var d = new WorkingDict(4) { KeepDuplicates = keepDuplicates };
        d.InitReserved("n", Array.Empty<string>(), "s");
        return d;
    }

    /// <summary>A dict made from a kept one, as the next leaves' are: on its storage.</summary>
    private static WorkingDict Over(WorkingDict kept) => kept.Frozen().CopyWithReserved("n2", Array.Empty<string>(), "s2", 4);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gives_what_the_folded_dict_gives(bool keepDuplicates)
    {
        for (var seed = 0; seed < 400; seed++)
        {
            var rng = new Random(seed);
            var d = NewDict(keepDuplicates);
            RandomHistory(d, rng, rng.Next(1, 30));
            AssertSameAsFold(d, $"seed {seed}");
        }
    }

    [Fact]
    public void Gives_what_the_folded_dict_gives_over_shared_storage()
    {
        for (var seed = 0; seed < 200; seed++)
        {
            var rng = new Random(seed);
            var kept = NewDict();
            RandomHistory(kept, rng, rng.Next(1, 20));
            var d = Over(kept);
            RandomHistory(d, rng, rng.Next(0, 20));
            AssertSameAsFold(d, $"seed {seed}");
        }
    }

    /// <summary>
    /// The folded dict of a dict over a kept one without suffixed keys sits on the kept one's
    /// storage too; it must hold what folding a flat copy holds, in the same order.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Folding_over_shared_storage_gives_what_folding_a_flat_copy_gives(bool keepDuplicates)
    {
        for (var seed = 0; seed < 300; seed++)
        {
            var rng = new Random(seed);
            var kept = NewDict(keepDuplicates);
            RandomHistory(kept, rng, rng.Next(1, 20), plainOnly: seed % 3 != 0);
            var d = Over(kept);
            RandomHistory(d, rng, rng.Next(0, 30));
            var flat = new WorkingDict(4) { KeepDuplicates = keepDuplicates };
            foreach (var (k, v) in d.Entries()) flat.Set(k, OrderedStore.Hash(k), v);
            Assert.Null(flat.Shared);
            Assert.Equal(Folded(flat).Entries().ToList(), Folded(d).Entries().ToList());
        }
    }

    [Fact]
    public void A_suffixed_key_equal_to_its_base_folds_away_and_a_differing_one_keeps_its_suffix()
    {
        var d = NewDict();
        d.Set("mem", OrderedStore.Hash("mem"), "1024");
        d.Set("mem" + Sep + "_vm1", OrderedStore.Hash("mem" + Sep + "_vm1"), "1024");
        d.Set("smp" + Sep + "_vm1", OrderedStore.Hash("smp" + Sep + "_vm1"), "2");
        d.Set("cpu" + Sep + "_vm1", OrderedStore.Hash("cpu" + Sep + "_vm1"), "a");
        d.Set("cpu" + Sep + "_vm2", OrderedStore.Hash("cpu" + Sep + "_vm2"), "b");
        Assert.True(d.TryGetFoldedValue("mem", OrderedStore.Hash("mem"), out var mem));
        Assert.Equal("1024", mem);
        Assert.False(d.TryGetFoldedValue("mem_vm1", OrderedStore.Hash("mem_vm1"), out _));
        Assert.True(d.TryGetFoldedValue("smp", OrderedStore.Hash("smp"), out var smp));   // the only value of its base: folded to the base
        Assert.Equal("2", smp);
        Assert.False(d.TryGetFoldedValue("cpu", OrderedStore.Hash("cpu"), out _));       // two values: each keeps its suffix
        Assert.True(d.TryGetFoldedValue("cpu_vm2", OrderedStore.Hash("cpu_vm2"), out var cpu));
        Assert.Equal("b", cpu);
    }
}
