using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// Folding a dict's suffixed keys back into plain ones happens in place, on the dict a leaf or
/// a join just made (<see cref="WorkingDict.FoldSuffixes"/>). The result must be what the
/// reference's rule gives, checked here against a plain model of that rule over the dict's
/// entries: the plain keys in their order; then each suffixed key, in order, dropped when the
/// plain key of its base holds the same value, else set under its base (when all keys of that
/// base hold one value) or under its base followed by its suffixes innermost last (always so
/// when duplicates are kept), in place when that key is there, else at the end. Every decision
/// is made on the dict as it was before the fold.
/// </summary>
public class SuffixFoldingTests
{
    private const char Sep = WorkingDict.TupleSeparator;

    private static string BaseOf(string key) => key.Split(Sep)[0];

    private static string FoldedName(string key)
    {
        var parts = key.Split(Sep);
        return parts[0] + string.Concat(parts.Skip(1).Reverse());
    }

    /// <summary>The rule as a list computation, independent of the stores.</summary>
    private static List<KeyValuePair<string, string>> Model(List<KeyValuePair<string, string>> entries, bool keepDuplicates)
    {
        var before = entries.ToDictionary(e => e.Key, e => e.Value);
        var mixed = entries.GroupBy(e => BaseOf(e.Key)).ToDictionary(g => g.Key, g => g.Select(e => e.Value).Distinct().Count() > 1);
        var result = entries.Where(e => e.Key.IndexOf(Sep) < 0).ToList();
        foreach (var e in entries.Where(e => e.Key.IndexOf(Sep) >= 0))
        {
            var b = BaseOf(e.Key);
            if (!keepDuplicates && before.TryGetValue(b, out var plain) && plain == e.Value) continue;
            var target = !keepDuplicates && !mixed[b] ? b : FoldedName(e.Key);
            var i = result.FindIndex(r => r.Key == target);
            if (i >= 0) result[i] = new(target, e.Value);
            else result.Add(new(target, e.Value));
        }
        return result;
    }

    private static void Set(WorkingDict d, string key, string value) => d.Set(key, OrderedStore.Hash(key), value);

    private static WorkingDict NewDict(bool keepDuplicates)
    {
        var d = new WorkingDict(4) { KeepDuplicates = keepDuplicates };
        d.InitReserved("n", Array.Empty<string>(), "s");
        return d;
    }

    private static void RandomHistory(WorkingDict d, Random rng, int operations, bool plainOnly)
    {
        for (var op = 0; op < operations; op++)
        {
            // Few bases, short suffixes: folded names often meet plain keys ("k1" + "_s0" against a plain "k1_s0").
            var key = rng.Next(0, 5) == 0 ? "k" + rng.Next(0, 3) + "_s" + rng.Next(0, 3) : "k" + rng.Next(0, 4);
            if (!plainOnly && rng.Next(0, 3) > 0)
            {
                for (var i = rng.Next(1, 3); i > 0; i--) key += Sep + "_s" + rng.Next(0, 3);
            }
            if (rng.Next(0, 6) == 0) d.Remove(key, out _);
            else Set(d, key, "v" + rng.Next(0, 3));
        }
    }

    private static void AssertFoldsAsTheModel(WorkingDict d, bool keepDuplicates, string context)
    {
        var before = d.Entries().ToList();
        var expected = Model(before, keepDuplicates);
        d.FoldSuffixes();
        Assert.False(d.HasTupleKeys, context);
        Assert.Equal(expected, d.Entries().ToList());
        Assert.Equal(expected.Count, d.Count);
        // The store's index must agree with its slots after keys left and came back.
        foreach (var (k, v) in expected)
        {
            Assert.True(d.TryGetValue(k, out var got), $"{context}: '{k}' not found after the fold");
            Assert.Equal(v, got);
        }
        foreach (var (k, _) in before.Where(e => e.Key.IndexOf(Sep) >= 0))
            Assert.False(d.ContainsKey(k), $"{context}: suffixed key '{k.Replace(Sep, '|')}' still there");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_flat_dict_folds_as_the_rule_says(bool keepDuplicates)
    {
        for (var seed = 0; seed < 400; seed++)
        {
            var rng = new Random(seed);
            var d = NewDict(keepDuplicates);
            RandomHistory(d, rng, rng.Next(1, 40), plainOnly: false);
            AssertFoldsAsTheModel(d, keepDuplicates, $"seed {seed}");
        }
    }

    /// <summary>
    /// A leaf's dict sits on a kept dict's storage: without suffixed keys there (the shared part
    /// stays), or with some (the fold needs a flat copy of its own).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_dict_over_shared_storage_folds_as_the_rule_says_and_leaves_the_kept_dict_alone(bool keepDuplicates)
    {
        for (var seed = 0; seed < 400; seed++)
        {
            var rng = new Random(seed);
            var kept = NewDict(keepDuplicates);
            RandomHistory(kept, rng, rng.Next(1, 25), plainOnly: seed % 2 == 0);
            var frozen = kept.Frozen();
            var keptEntries = frozen.Entries().ToList();
            var d = frozen.CopyWithReserved("n2", Array.Empty<string>(), "s2", 4);
            RandomHistory(d, rng, rng.Next(0, 30), plainOnly: false);
            var second = frozen.CopyWithReserved("n3", Array.Empty<string>(), "s3", 4);
            AssertFoldsAsTheModel(d, keepDuplicates, $"seed {seed}");
            Assert.Equal(keptEntries, frozen.Entries().ToList());
            Assert.Equal(keptEntries.Select(e => e.Key), second.Entries().Select(e => e.Key));
        }
    }

    [Fact]
    public void A_folded_name_that_is_another_bases_plain_key_does_not_change_the_later_decisions()
    {
        // 'a|_x' folds to 'a_x' (its base 'a' holds two values) and overwrites the plain 'a_x';
        // 'a_x|_y' is still compared with the 'a_x' the dict had before the fold (1, not 2),
        // so it stays, as 'a_x_y'.
        var d = NewDict(keepDuplicates: false);
        Set(d, "a", "3");
        Set(d, "a_x", "1");
        Set(d, "a" + Sep + "_x", "2");
        Set(d, "a_x" + Sep + "_y", "2");
        d.FoldSuffixes();
        var entries = d.Entries().Where(e => !WorkingDict.IsReserved(e.Key)).ToList();
        Assert.Equal(new KeyValuePair<string, string>[] { new("a", "3"), new("a_x", "2"), new("a_x_y", "2") }, entries);
    }

    [Fact]
    public void A_dict_without_suffixed_keys_is_left_as_it_is()
    {
        var d = NewDict(keepDuplicates: false);
        Set(d, "b", "1");
        Set(d, "a", "2");
        d.Remove("b", out _);
        Set(d, "b", "3");
        var before = d.Entries().ToList();
        var slots = d.RawCount;
        d.FoldSuffixes();
        Assert.Equal(before, d.Entries().ToList());
        Assert.Equal(slots, d.RawCount);
    }
}
