using System.Numerics;
using System.Runtime.CompilerServices;

namespace VirtTest.Core.Config;

/// <summary>
/// The storage of an insertion-ordered string dict: keys and values in parallel arrays, in the
/// order they were added (a removed key leaves a dead slot until the next compaction), and an
/// open-addressing hash index over the slots (linear probing, at most half full; the hash of a
/// key is computed by the caller, once per statement for the keys a config names). Copying one is a handful of array copies, and a
/// finished <see cref="WorkingDict"/> hands its storage to its <see cref="VirtParams"/> as is.
/// </summary>
/// <remarks>A mutable struct: keep it in a field and call its methods on the field.</remarks>
internal struct OrderedStore
{
    /// <summary>Keys by slot; null for a dead slot.</summary>
    public string?[] Keys;
    public string?[] Values;
    /// <summary>The hash of each slot's key, so that reindexing and probing never hash a key again.</summary>
    public int[] Hashes;
    /// <summary>Slot + 1 per bucket, 0 for an empty bucket; at least twice as many buckets as slots.</summary>
    public int[] Buckets;
    /// <summary>Slots in use, dead ones included.</summary>
    public int Count;
    public int Live;

    public static OrderedStore Create(int capacity)
    {
        capacity = Math.Max(capacity, 0);
        return new OrderedStore
        {
            Keys = capacity == 0 ? Array.Empty<string?>() : new string?[capacity],
            Values = capacity == 0 ? Array.Empty<string?>() : new string?[capacity],
            Hashes = capacity == 0 ? Array.Empty<int>() : new int[capacity],
            Buckets = new int[BucketsFor(capacity)],
        };
    }

    private static int BucketsFor(int capacity) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(4, capacity * 2));

    /// <summary>A copy with room for at least <paramref name="extra"/> more keys.</summary>
    public readonly OrderedStore Clone(int extra)
    {
        var capacity = Count + Math.Max(0, extra);
        var copy = new OrderedStore
        {
            Keys = new string?[capacity],
            Values = new string?[capacity],
            Hashes = new int[capacity],
            Count = Count,
            Live = Live,
        };
        Array.Copy(Keys, copy.Keys, Count);
        Array.Copy(Values, copy.Values, Count);
        Array.Copy(Hashes, copy.Hashes, Count);
        var buckets = BucketsFor(capacity);
        if (buckets == Buckets.Length)
        {
            copy.Buckets = (int[])Buckets.Clone();
        }
        else
        {
            copy.Buckets = new int[buckets];
            copy.Reindex();
        }
        return copy;
    }

    /// <summary>The hash every key is indexed by (the same in every store).</summary>
    public static int Hash(string key)
    {
        var h = 2166136261u;
        foreach (var c in key) h = (h ^ c) * 16777619u;
        h ^= h >> 15;
        h *= 0x2c1b3c6du;
        h ^= h >> 12;
        return (int)h;
    }

    /// <summary>The slot of a live key, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly int Find(string key, int hash)
    {
        var buckets = Buckets;
        var mask = buckets.Length - 1;
        var i = hash & mask;
        while (true)
        {
            var b = buckets[i];
            if (b == 0) return -1;
            var slot = b - 1;
            if (Hashes[slot] == hash)
            {
                var k = Keys[slot];
                if (k is not null && (ReferenceEquals(k, key) || string.Equals(k, key))) return slot;
            }
            i = (i + 1) & mask;
        }
    }

    public readonly int Find(string key) => Find(key, Hash(key));

    /// <summary>Adds a key that is not there; returns its slot.</summary>
    public int Add(string key, int hash, string value)
    {
        if (Count == Keys.Length) Grow();
        var slot = Count;
        Keys[slot] = key;
        Values[slot] = value;
        Hashes[slot] = hash;
        Count = slot + 1;
        Live++;
        var mask = Buckets.Length - 1;
        var i = hash & mask;
        while (Buckets[i] != 0) i = (i + 1) & mask;
        Buckets[i] = slot + 1;
        return slot;
    }

    /// <summary>Kills a live slot (its bucket stays, pointing at nothing, until the next reindex).</summary>
    public void RemoveAt(int slot)
    {
        Keys[slot] = null;
        Values[slot] = null;
        Live--;
    }

    /// <summary>Moves the live slots together, in order, and rebuilds the index.</summary>
    public void Compact()
    {
        var j = 0;
        for (var i = 0; i < Count; i++)
        {
            if (Keys[i] is not { } k) continue;
            if (i != j)
            {
                Keys[j] = k;
                Values[j] = Values[i];
                Hashes[j] = Hashes[i];
            }
            j++;
        }
        Array.Clear(Keys, j, Count - j);
        Array.Clear(Values, j, Count - j);
        Count = j;
        Reindex();
    }

    private void Grow()
    {
        if (Live < Count / 2)
        {
            // Mostly dead slots: compact instead of growing.
            Compact();
            if (Count < Keys.Length) return;
        }
        var size = Math.Max(8, Keys.Length * 2);
        Array.Resize(ref Keys, size);
        Array.Resize(ref Values, size);
        Array.Resize(ref Hashes, size);
        Buckets = new int[BucketsFor(size)];
        Reindex();
    }

    private readonly void Reindex()
    {
        var buckets = Buckets;
        Array.Clear(buckets);
        var mask = buckets.Length - 1;
        for (var slot = 0; slot < Count; slot++)
        {
            if (Keys[slot] is null) continue;
            var i = Hashes[slot] & mask;
            while (buckets[i] != 0) i = (i + 1) & mask;
            buckets[i] = slot + 1;
        }
    }
}
