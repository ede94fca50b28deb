using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// A store over a shared (frozen) one keeps its changes to shared slots apart: a few as changes
/// by slot, many as a private copy of the shared values. Either way it must read like a plain
/// insertion-ordered dict with the same history, and leave the shared store as it was.
/// </summary>
public class OrderedStoreOverSharedTests
{
    private static List<(string Key, string Value)> Entries(in OrderedStore store)
    {
        var list = new List<(string, string)>();
        for (var slot = 0; slot < store.SlotCount; slot++)
        {
            if (store.KeyAt(slot) is { } k) list.Add((k, store.ValueAt(slot)!));
        }
        return list;
    }

    /// <summary>Python's dict: re-assigning keeps the place, deleting and re-adding moves to the end.</summary>
    private static void ModelSet(List<(string Key, string Value)> model, string key, string value)
    {
        var i = model.FindIndex(e => e.Key == key);
        if (i >= 0) model[i] = (key, value);
        else model.Add((key, value));
    }

    [Theory]
    [InlineData(1, 5)]       // a few changes: kept by slot
    [InlineData(2, 40)]      // many: past the sparse limit, a private copy
    [InlineData(3, 200)]
    public void Reads_like_a_plain_dict_with_the_same_history(int seed, int operations)
    {
        var rng = new Random(seed);
        var baseStore = OrderedStore.Create(8);
        var model = new List<(string Key, string Value)>();
        for (var i = 0; i < 300; i++)
        {
            var key = "k" + i;
            baseStore.Add(key, OrderedStore.Hash(key), "v" + i);
            model.Add((key, "v" + i));
        }
        var shared = baseStore.Freeze();
        var sharedBefore = Entries(shared.Store);
        var store = OrderedStore.Over(shared, 4);
        for (var op = 0; op < operations; op++)
        {
            var key = "k" + rng.Next(0, 340);   // shared keys and new ones
            var hash = OrderedStore.Hash(key);
            var slot = store.Find(key, hash);
            if (rng.Next(4) == 0)
            {
                if (slot >= 0) store.RemoveAt(slot);
                model.RemoveAll(e => e.Key == key);
            }
            else
            {
                var value = "w" + op;
                if (slot >= 0) store.SetValueAt(slot, value);
                else store.Add(key, hash, value);
                ModelSet(model, key, value);
            }
            Assert.Equal(model, Entries(store));
            Assert.Equal(model.Count, store.Live);
        }
        foreach (var (k, v) in model) Assert.Equal(v, store.ValueAt(store.Find(k, OrderedStore.Hash(k))));
        Assert.Equal(model, Entries(store.Clone(0)));
        Assert.Equal(sharedBefore, Entries(shared.Store));
    }

    /// <summary>A store over a shared one with a few changes and a few keys of its own, and the model it must read like.</summary>
    private static (FrozenStore Shared, OrderedStore Store, List<(string Key, string Value)> Model) SmallDifference(int seed)
    {
        var rng = new Random(seed);
        var baseStore = OrderedStore.Create(8);
        var model = new List<(string Key, string Value)>();
        for (var i = 0; i < 200; i++)
        {
            baseStore.Add("k" + i, OrderedStore.Hash("k" + i), "v" + i);
            model.Add(("k" + i, "v" + i));
        }
        var shared = baseStore.Freeze();
        var store = OrderedStore.Over(shared, 2);
        for (var op = 0; op < 12; op++)
        {
            var key = "k" + rng.Next(0, 230);
            var slot = store.Find(key);
            if (rng.Next(5) == 0)
            {
                if (slot >= 0) store.RemoveAt(slot);
                model.RemoveAll(e => e.Key == key);
                continue;
            }
            if (slot >= 0) store.SetValueAt(slot, "w" + op);
            else store.Add(key, OrderedStore.Hash(key), "w" + op);
            ModelSet(model, key, "w" + op);
        }
        return (shared, store, model);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void A_small_difference_is_frozen_as_such_and_stores_made_from_it_start_from_all_of_it(int seed)
    {
        var (shared, store, model) = SmallDifference(seed);
        var frozen = store.Freeze();
        Assert.True(frozen.IsDifference);
        Assert.True(frozen.HeldSlots < 50, "a difference holds its own part and changes, not the shared slots");
        Assert.Equal(model, Entries(frozen.Store));
        var frozenBefore = Entries(frozen.Store);

        // Two stores made from it: each reads as the model and changes apart from the other.
        var first = OrderedStore.Over(frozen, 4);
        var second = OrderedStore.Over(frozen, 0);
        Assert.Same(shared, first.Shared);
        Assert.Equal(model, Entries(first));
        first.Add("new", OrderedStore.Hash("new"), "x");
        first.SetValueAt(first.Find("k0"), "changed");
        second.RemoveAt(second.Find("k1"));
        var firstModel = model.ToList();
        ModelSet(firstModel, "new", "x");
        ModelSet(firstModel, "k0", "changed");
        Assert.Equal(firstModel, Entries(first));
        Assert.Equal(model.Where(e => e.Key != "k1"), Entries(second));
        Assert.Equal(frozenBefore, Entries(frozen.Store));
        Assert.Equal(model, Entries(OrderedStore.Over(frozen, 0)));

        // Its flat form reads the same and shares nothing below.
        var flat = OrderedStore.ViewOf(frozen).FreezeFlat();
        Assert.False(flat.IsDifference);
        Assert.Equal(model, Entries(flat.Store));
        Assert.Equal(model, Entries(OrderedStore.Over(flat, 0)));
    }

    [Fact]
    public void A_store_with_many_keys_of_its_own_is_frozen_flat()
    {
        var baseStore = OrderedStore.Create(8);
        for (var i = 0; i < 100; i++) baseStore.Add("k" + i, OrderedStore.Hash("k" + i), "v" + i);
        var store = OrderedStore.Over(baseStore.Freeze(), 0);
        for (var i = 0; i < 100; i++) store.Add("own" + i, OrderedStore.Hash("own" + i), "o" + i);
        var frozen = store.Freeze();
        Assert.False(frozen.IsDifference);
        Assert.Equal(Entries(store), Entries(frozen.Store));
    }

    [Fact]
    public void A_view_of_a_frozen_store_knows_its_source_and_a_changed_store_does_not()
    {
        var baseStore = OrderedStore.Create(4);
        baseStore.Add("a", OrderedStore.Hash("a"), "1");
        var shared = baseStore.Freeze();
        var view = OrderedStore.ViewOf(shared);
        Assert.Same(shared, view.FrozenSource);
        var store = OrderedStore.Over(shared, 0);
        Assert.Null(store.FrozenSource);
        store.SetValueAt(store.Find("a"), "2");
        Assert.Equal("1", shared.Store.ValueAt(0));
        Assert.Equal("2", store.ValueAt(0));
    }
}
