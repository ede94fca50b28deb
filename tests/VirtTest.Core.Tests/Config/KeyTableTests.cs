using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// The engine's string-keyed table: room made at once (<c>EnsureCapacity</c>, as a suffix
/// statement does for the hundreds of keys it is about to meet) keeps every key and value
/// findable, whether asked for less room than it has or more.
/// </summary>
public class KeyTableTests
{
    [Theory]
    [InlineData(0, 1000)]     // never asked: grows step by step
    [InlineData(10, 1000)]    // less room than the keys that come
    [InlineData(1000, 1000)]  // exactly the keys that come
    [InlineData(5000, 100)]   // far more
    public void Keys_stay_findable_with_room_made_at_once(int room, int keys)
    {
        var table = new KeyTable<int>();
        var half = keys / 2;
        for (var i = 0; i < half; i++) table.Add("key" + i, OrderedStore.Hash("key" + i), i);
        table.EnsureCapacity(room);   // with keys already in it: they move to the new room
        for (var i = half; i < keys; i++) table.Add("key" + i, OrderedStore.Hash("key" + i), i);
        table.EnsureCapacity(room / 2);   // less than it has: nothing changes
        Assert.Equal(keys, table.Count);
        for (var i = 0; i < keys; i++)
        {
            Assert.True(table.TryGet("key" + i, OrderedStore.Hash("key" + i), out var value), "key" + i);
            Assert.Equal(i, value);
        }
        Assert.False(table.TryGet("key" + keys, OrderedStore.Hash("key" + keys), out _));
        ref var found = ref table.FindOrAdd("key0", OrderedStore.Hash("key0"), out var added);
        Assert.False(added);
        Assert.Equal(0, found);
    }
}
