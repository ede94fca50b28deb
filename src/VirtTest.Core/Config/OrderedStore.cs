using System.Numerics;
using System.Runtime.CompilerServices;

namespace VirtTest.Core.Config;

/// <summary>
/// The storage of an insertion-ordered string dict: keys and values in parallel arrays, in the
/// order they were added (a removed key leaves a dead slot until the next compaction), the hash
/// of each key beside it, and an open-addressing hash index over the slots (linear probing, at
/// most half full; hashes are computed once per statement for the keys a config names).
/// </summary>
/// <remarks>
/// <para>
/// A store may sit on a <see cref="FrozenStore"/> shared with many others: the dicts of most
/// leaves start from the same few hundred keys (the base settings and the blocks before them),
/// so instead of a copy of them each leaf's store keeps only what differs. Slots are numbered
/// through both parts: the shared part's slots first, then the store's own. Keys and their order
/// in the shared part never change; a changed or removed value there goes into a private copy of
/// the shared part's values (made on the first such change); new keys, and keys removed and
/// added again, go into the store's own part, after the shared ones, as in a flat dict.
/// </para>
/// <para>A mutable struct: keep it in a field and call its methods on the field.</para>
/// </remarks>
internal struct OrderedStore
{
    // The store's own part.
    private string?[] _keys;       // null for a dead slot
    private string?[] _values;
    private int[] _hashes;
    private int[] _buckets;        // own slot + 1 per bucket, 0 for an empty bucket
    private int _count;            // own slots in use, dead ones included
    private int _ownLive;

    // The shared part below (null when the store is flat).
    private FrozenStore? _base;
    private int _baseCount;
    private string?[]? _baseValues;   // this store's values for the shared slots once one changed; null = removed here
    private int _baseLive;

    public static OrderedStore Create(int capacity)
    {
        capacity = Math.Max(capacity, 0);
        return new OrderedStore
        {
            _keys = capacity == 0 ? Array.Empty<string?>() : new string?[capacity],
            _values = capacity == 0 ? Array.Empty<string?>() : new string?[capacity],
            _hashes = capacity == 0 ? Array.Empty<int>() : new int[capacity],
            _buckets = new int[BucketsFor(capacity)],
        };
    }

    /// <summary>A store with the keys and values of <paramref name="shared"/>, and room for <paramref name="extra"/> keys of its own.</summary>
    public static OrderedStore Over(FrozenStore shared, int extra)
    {
        var store = Create(extra);
        store._base = shared;
        store._baseCount = shared.Store._count;
        store._baseLive = shared.Store._ownLive;
        return store;
    }

    private static int BucketsFor(int capacity) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(4, capacity * 2));

    /// <summary>Slots in use, dead ones included: slot numbers run from 0 to this.</summary>
    public readonly int SlotCount => _baseCount + _count;

    /// <summary>Live keys.</summary>
    public readonly int Live => _baseLive + _ownLive;

    /// <summary>The shared part below this store (its slots come first), or null.</summary>
    public readonly FrozenStore? Shared => _base;

    /// <summary>The shared part when nothing was changed or added on top of it (then the store is just a view of it).</summary>
    public readonly FrozenStore? UnchangedBase => _base is not null && _baseValues is null && _count == 0 ? _base : null;

    /// <summary>The key in a slot, null for a dead slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly string? KeyAt(int slot)
    {
        if (slot >= _baseCount) return _keys[slot - _baseCount];
        if (_baseValues is { } values && values[slot] is null) return null;
        return _base!.Store._keys[slot];
    }

    /// <summary>The value in a live slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly string? ValueAt(int slot) =>
        slot >= _baseCount ? _values[slot - _baseCount] : (_baseValues ?? _base!.Store._values)[slot];

    /// <summary>The hash of the key in a slot.</summary>
    public readonly int HashAt(int slot) => slot >= _baseCount ? _hashes[slot - _baseCount] : _base!.Store._hashes[slot];

    /// <summary>Sets the value of a live slot.</summary>
    public void SetValueAt(int slot, string value)
    {
        if (slot >= _baseCount) _values[slot - _baseCount] = value;
        else BaseValues()[slot] = value;
    }

    private string?[] BaseValues()
    {
        if (_baseValues is null)
        {
            var shared = _base!.Store._values;
            _baseValues = new string?[_baseCount];
            Array.Copy(shared, _baseValues, _baseCount);
        }
        return _baseValues;
    }

    /// <summary>The hash every key is indexed by (the same in every store).</summary>
    public static int Hash(string key) => Hash(key.AsSpan());

    public static int Hash(ReadOnlySpan<char> key)
    {
        var h = 2166136261u;
        foreach (var c in key) h = (h ^ c) * 16777619u;
        h ^= h >> 15;
        h *= 0x2c1b3c6du;
        h ^= h >> 12;
        return (int)h;
    }

    /// <summary>The slot of a live key, or -1.</summary>
    public readonly int Find(string key, int hash)
    {
        var own = FindOwn(key, hash);
        if (own >= 0) return _baseCount + own;
        if (_base is null) return -1;
        var slot = _base.Store.FindOwn(key, hash);
        if (slot < 0 || (_baseValues is { } values && values[slot] is null)) return -1;
        return slot;
    }

    public readonly int Find(string key) => Find(key, Hash(key));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly int FindOwn(string key, int hash)
    {
        var buckets = _buckets;
        var mask = buckets.Length - 1;
        var i = hash & mask;
        while (true)
        {
            var b = buckets[i];
            if (b == 0) return -1;
            var slot = b - 1;
            if (_hashes[slot] == hash)
            {
                var k = _keys[slot];
                if (k is not null && (ReferenceEquals(k, key) || string.Equals(k, key))) return slot;
            }
            i = (i + 1) & mask;
        }
    }

    /// <summary>Empties a store of its own (no shared part), keeping its arrays for reuse.</summary>
    public void Clear()
    {
        if (_base is not null) throw new InvalidOperationException("a store over a shared one is not cleared");
        Array.Clear(_keys, 0, _count);
        Array.Clear(_values, 0, _count);
        Array.Clear(_buckets);
        _count = 0;
        _ownLive = 0;
    }

    /// <summary>Adds a key that is not there; returns its slot.</summary>
    public int Add(string key, int hash, string value)
    {
        if (_count == _keys.Length) Grow();
        var slot = _count;
        _keys[slot] = key;
        _values[slot] = value;
        _hashes[slot] = hash;
        _count = slot + 1;
        _ownLive++;
        var mask = _buckets.Length - 1;
        var i = hash & mask;
        while (_buckets[i] != 0) i = (i + 1) & mask;
        _buckets[i] = slot + 1;
        return _baseCount + slot;
    }

    /// <summary>Kills a live slot (an own slot's bucket stays, pointing at nothing, until the next reindex).</summary>
    public void RemoveAt(int slot)
    {
        if (slot >= _baseCount)
        {
            _keys[slot - _baseCount] = null;
            _values[slot - _baseCount] = null;
            _ownLive--;
        }
        else
        {
            BaseValues()[slot] = null;
            _baseLive--;
        }
    }

    /// <summary>Moves the live slots together, in order, into one flat store, and rebuilds the index.</summary>
    public void Compact()
    {
        if (_base is not null)
        {
            this = Clone(0);
            return;
        }
        var j = 0;
        for (var i = 0; i < _count; i++)
        {
            if (_keys[i] is not { } k) continue;
            if (i != j)
            {
                _keys[j] = k;
                _values[j] = _values[i];
                _hashes[j] = _hashes[i];
            }
            j++;
        }
        Array.Clear(_keys, j, _count - j);
        Array.Clear(_values, j, _count - j);
        _count = j;
        Reindex();
    }

    /// <summary>A flat copy with room for at least <paramref name="extra"/> more keys (a flat store keeps its dead slots).</summary>
    public readonly OrderedStore Clone(int extra)
    {
        if (_base is null)
        {
            var capacity = _count + Math.Max(0, extra);
            var copy = new OrderedStore
            {
                _keys = new string?[capacity],
                _values = new string?[capacity],
                _hashes = new int[capacity],
                _count = _count,
                _ownLive = _ownLive,
            };
            Array.Copy(_keys, copy._keys, _count);
            Array.Copy(_values, copy._values, _count);
            Array.Copy(_hashes, copy._hashes, _count);
            var buckets = BucketsFor(capacity);
            if (buckets == _buckets.Length)
            {
                copy._buckets = (int[])_buckets.Clone();
            }
            else
            {
                copy._buckets = new int[buckets];
                copy.Reindex();
            }
            return copy;
        }
        var flat = Create(Live + Math.Max(0, extra));
        var slots = SlotCount;
        for (var slot = 0; slot < slots; slot++)
        {
            if (KeyAt(slot) is { } key) flat.Add(key, HashAt(slot), ValueAt(slot)!);
        }
        return flat;
    }

    /// <summary>A compacted copy that never changes, for stores to sit on.</summary>
    public readonly FrozenStore Freeze()
    {
        var flat = Clone(0);
        if (flat._ownLive != flat._count) flat.Compact();
        return new FrozenStore(flat);
    }

    private void Grow()
    {
        if (_ownLive < _count / 2)
        {
            // Mostly dead slots: compact instead of growing.
            var saved = _base;
            _base = null;   // compact the own part only
            Compact();
            _base = saved;
            if (_count < _keys.Length) return;
        }
        var size = Math.Max(8, _keys.Length * 2);
        Array.Resize(ref _keys, size);
        Array.Resize(ref _values, size);
        Array.Resize(ref _hashes, size);
        _buckets = new int[BucketsFor(size)];
        Reindex();
    }

    private readonly void Reindex()
    {
        var buckets = _buckets;
        Array.Clear(buckets);
        var mask = buckets.Length - 1;
        for (var slot = 0; slot < _count; slot++)
        {
            if (_keys[slot] is null) continue;
            var i = _hashes[slot] & mask;
            while (buckets[i] != 0) i = (i + 1) & mask;
            buckets[i] = slot + 1;
        }
    }
}

/// <summary>A flat <see cref="OrderedStore"/> that never changes again, shared as the bottom part of many stores.</summary>
internal sealed class FrozenStore
{
    public FrozenStore(OrderedStore store) => Store = store;

    public readonly OrderedStore Store;

    /// <summary>Its slots, all live (a frozen store is compacted).</summary>
    public int SlotCount => Store.SlotCount;
}
