using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// A <c>suffix</c> statement renames every key of a dict but the reserved ones. The reference
/// does it one key at a time, in the dict's order: remove the key, set its new name (base,
/// suffixes..., this suffix) to its value. VirtTest builds the result in a new store of its own;
/// checked here against a list model of that loop, on flat dicts and on dicts over a kept dict's
/// storage, including the case where a new name is a key not renamed yet.
/// </summary>
public class SuffixRenameTests
{
    private const char Sep = WorkingDict.TupleSeparator;

    /// <summary>The reference's loop over a list of entries.</summary>
    private static List<KeyValuePair<string, string>> Model(List<KeyValuePair<string, string>> entries, string suffix)
    {
        var result = entries.ToList();
        foreach (var key in entries.Select(e => e.Key).Where(k => !WorkingDict.IsReserved(k)).ToList())
        {
            var i = result.FindIndex(e => e.Key == key);
            var value = result[i].Value;
            result.RemoveAt(i);
            var renamed = key + Sep + suffix;
            var j = result.FindIndex(e => e.Key == renamed);
            if (j >= 0) result[j] = new(renamed, value);
            else result.Add(new(renamed, value));
        }
        return result;
    }

    private static void Set(WorkingDict d, string key, string value) => d.Set(key, OrderedStore.Hash(key), value);

    private static WorkingDict NewDict()
    {
        var d = new WorkingDict(4);
        d.InitReserved("n", Array.Empty<string>(), "s");
        return d;
    }

    private static void RandomHistory(WorkingDict d, Random rng, int operations)
    {
        for (var op = 0; op < operations; op++)
        {
            // Few bases, one suffix often: a key and its renamed name are often both there, in either order.
            var key = "k" + rng.Next(0, 4);
            for (var i = rng.Next(0, 3); i > 0; i--) key += Sep + "_s" + rng.Next(0, 2);
            if (rng.Next(0, 6) == 0) d.Remove(key, out _);
            else Set(d, key, "v" + rng.Next(0, 100));
        }
    }

    private static void AssertRenamesAsTheModel(WorkingDict d, string suffix, string context)
    {
        var expected = Model(d.Entries().ToList(), suffix);
        new SuffixOp("t.cfg", 1, suffix).Apply(d);
        Assert.Equal(expected, d.Entries().ToList());
        Assert.Equal(expected.Count, d.Count);
        Assert.Equal(expected.Any(e => e.Key.IndexOf(Sep) >= 0), d.HasTupleKeys);
        foreach (var (k, v) in expected)
        {
            Assert.True(d.TryGetValue(k, out var got), $"{context}: '{k.Replace(Sep, '|')}' not found after the rename");
            Assert.Equal(v, got);
        }
        // Keys set after the statement land after the renamed ones, as in the reference.
        Set(d, "after", "1");
        Assert.Equal("after", d.Entries().Last().Key);
    }

    [Fact]
    public void A_flat_dict_is_renamed_as_the_reference_loop_does()
    {
        for (var seed = 0; seed < 600; seed++)
        {
            var rng = new Random(seed);
            var d = NewDict();
            RandomHistory(d, rng, rng.Next(0, 40));
            AssertRenamesAsTheModel(d, "_s" + rng.Next(0, 2), $"seed {seed}");
        }
    }

    [Fact]
    public void A_dict_over_shared_storage_is_renamed_as_the_reference_loop_does_and_the_kept_dict_stays()
    {
        for (var seed = 0; seed < 600; seed++)
        {
            var rng = new Random(seed);
            var kept = NewDict();
            RandomHistory(kept, rng, rng.Next(1, 30));
            var frozen = kept.Frozen();
            var keptEntries = frozen.Entries().ToList();
            var d = frozen.CopyWithReserved("n2", Array.Empty<string>(), "s2", 4);
            RandomHistory(d, rng, rng.Next(0, 20));
            AssertRenamesAsTheModel(d, "_s" + rng.Next(0, 2), $"seed {seed}");
            Assert.Equal(keptEntries, frozen.Entries().ToList());
        }
    }

    [Fact]
    public void A_new_name_that_is_a_key_not_renamed_yet_takes_its_value_on()
    {
        // 'a' comes before 'a|_x': renaming 'a' sets 'a|_x' (in place) to 1, whose renaming then
        // carries that 1 on to 'a|_x|_x'; the 2 that 'a|_x' held is gone.
        var d = NewDict();
        Set(d, "a", "1");
        Set(d, "a" + Sep + "_x", "2");
        Set(d, "b", "3");
        new SuffixOp("t.cfg", 1, "_x").Apply(d);
        var entries = d.Entries().Where(e => !WorkingDict.IsReserved(e.Key)).ToList();
        Assert.Equal(new KeyValuePair<string, string>[] { new("a" + Sep + "_x" + Sep + "_x", "1"), new("b" + Sep + "_x", "3") }, entries);
    }
}
