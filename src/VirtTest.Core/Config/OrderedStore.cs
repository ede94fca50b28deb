using System.Numerics;
using System.Runtime.CompilerServices;

namespace VirtTest.Core.Config;

/// <summary>
/// The storage of an insertion-ordered string dict: keys and values in parallel arrays, in the
/// order they were added (a removed key leaves a dead slot until the next compaction), the hash
/// of each key beside it, and an open-addressing hash index over the slots (linear probing, at
/// most three quarters full; hashes are computed once per statement for the keys a config names).
/// </summary>
/// <remarks>
/// <para>
/// A store may sit on a <see cref="FrozenStore"/> shared with many others: the dicts of most
/// leaves start from the same few hundred keys (the base settings and the blocks before them),
/// so instead of a copy of them each leaf's store keeps only what differs. Slots are numbered
/// through both parts: the shared part's slots first, then the store's own. Keys and their order
/// in the shared part never change; a changed or removed value there is kept as a change by slot
/// (a leaf changes a few of the hundreds it shares: 7 of 594 on average on the real-tree-shaped
/// default run), and only past <see cref="MaxSparseChanges"/> of them in a private copy of the
/// shared part's values; new keys, and keys removed and added again, go into the store's own
/// part, after the shared ones, as in a flat dict.
/// </para>
/// <para>
/// A frozen store is flat, or a difference over a flat one (see <see cref="Freeze"/>): a store
/// made over a difference sits on the same flat store, with a copy of the difference to start
/// from. So a store never has more than one shared part below it.
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
    private string?[]? _baseValues;   // this store's values for all shared slots, past MaxSparseChanges changes; null = removed here
    // Fewer changes to shared slots: which slots (a bit each) and their values (null = removed here).
    private ulong[]? _changedBits;
    private int[]? _changedSlots;
    private string?[]? _changedValues;
    private int _changedCount;

    private const int MaxSparseChanges = 16;
    // A frozen store may be a difference over a flat one when its own part has at most this
    // many slots (or a quarter of the flat one's).
    private const int MaxDeltaOwnSlots = 64;
    private int _baseLive;

    // Set when this store is a read-only view of a frozen store (see ViewOf).
    private FrozenStore? _view;

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
        if (shared.Store._base is not null)
        {
            // A frozen difference: the new store sits on the same flat store and starts with a
            // copy of the difference (its own part and its changes to the flat one).
            return shared.Store.DifferenceCopy(Math.Max(0, extra));
        }
        var store = Create(extra);
        store._base = shared;
        store._baseCount = shared.Store._count;
        store._baseLive = shared.Store._ownLive;
        return store;
    }

    /// <summary>The frozen store as a store to read (never to change): its arrays, not a copy.</summary>
    public static OrderedStore ViewOf(FrozenStore frozen)
    {
        var view = frozen.Store;
        view._view = frozen;
        return view;
    }

    /// <summary>The frozen store this store is a view of, or null.</summary>
    public readonly FrozenStore? FrozenSource => _view;

    /// <summary>A copy of a store over a shared one: the same shared part below, a copy of its own part (with room for <paramref name="extra"/> more) and of its changes.</summary>
    private readonly OrderedStore DifferenceCopy(int extra)
    {
        var copy = SharedPartCopy(_count + extra);
        Array.Copy(_keys, copy._keys, _count);
        Array.Copy(_values, copy._values, _count);
        Array.Copy(_hashes, copy._hashes, _count);
        copy._count = _count;
        copy._ownLive = _ownLive;
        copy.Reindex();
        return copy;
    }

    /// <summary>
    /// A copy that sits on the same shared part as this one (or, for a flat store, a flat copy):
    /// its own part and its changes copied, the shared part not (a join's copy of a leaf's dict).
    /// </summary>
    public readonly OrderedStore Copy(int extra) => _base is null ? Clone(extra) : DifferenceCopy(Math.Max(0, extra));

    /// <summary>
    /// A store on the same shared part as this one, with this one's changes to it but none of its
    /// own slots (room for <paramref name="extra"/>); only for a store over a shared part.
    /// </summary>
    public readonly OrderedStore SharedPartCopy(int extra)
    {
        var copy = Create(extra);
        copy._base = _base ?? throw new InvalidOperationException("the store has no shared part");
        copy._baseCount = _baseCount;
        copy._baseLive = _baseLive;
        if (_baseValues is { } all) copy._baseValues = (string?[])all.Clone();
        if (_changedCount == 0) return copy;
        copy._changedBits = (ulong[])_changedBits!.Clone();
        copy._changedSlots = (int[])_changedSlots!.Clone();
        copy._changedValues = (string?[])_changedValues!.Clone();
        copy._changedCount = _changedCount;
        return copy;
    }

    /// <summary>How many of the slots belong to the shared part (they come first).</summary>
    public readonly int SharedSlotCount => _baseCount;

    // At most three quarters full: the index of each of thousands of leaf dicts was a sixth of a
    // default run's allocation at half full, and probes compare the stored hash before the key.
    private static int BucketsFor(int capacity) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(4, capacity + capacity / 3 + 1));

    /// <summary>Slots in use, dead ones included: slot numbers run from 0 to this.</summary>
    public readonly int SlotCount => _baseCount + _count;

    /// <summary>The slots this store holds itself (its own part and its changes to a shared part).</summary>
    public readonly int HeldSlots => _count + _changedCount + (_baseValues?.Length ?? 0);

    /// <summary>Live keys.</summary>
    public readonly int Live => _baseLive + _ownLive;

    /// <summary>The shared part below this store (its slots come first), or null.</summary>
    public readonly FrozenStore? Shared => _base;

    /// <summary>The key in a slot, null for a dead slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly string? KeyAt(int slot)
    {
        if (slot >= _baseCount) return _keys[slot - _baseCount];
        if (BaseRemoved(slot)) return null;
        return _base!.Store._keys[slot];
    }

    /// <summary>The value in a live slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly string? ValueAt(int slot) => slot >= _baseCount ? _values[slot - _baseCount] : BaseValueAt(slot);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly string? BaseValueAt(int slot)
    {
        if (_baseValues is { } all) return all[slot];
        if (_changedBits is { } bits && (bits[slot >> 6] & (1UL << slot)) != 0) return ChangedValue(slot);
        return _base!.Store._values[slot];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly bool BaseRemoved(int slot)
    {
        if (_baseValues is { } all) return all[slot] is null;
        return _changedBits is { } bits && (bits[slot >> 6] & (1UL << slot)) != 0 && ChangedValue(slot) is null;
    }

    private readonly string? ChangedValue(int slot)
    {
        var slots = _changedSlots!;
        for (var i = 0; i < _changedCount; i++)
        {
            if (slots[i] == slot) return _changedValues![i];
        }
        throw new InvalidOperationException("changed slot " + slot + " not recorded");
    }

    /// <summary>Sets (null: removes) the value of a shared slot for this store only.</summary>
    private void SetBaseValue(int slot, string? value)
    {
        if (_baseValues is { } all)
        {
            all[slot] = value;
            return;
        }
        if (_changedBits is { } bits && (bits[slot >> 6] & (1UL << slot)) != 0)
        {
            for (var i = 0; i < _changedCount; i++)
            {
                if (_changedSlots![i] != slot) continue;
                _changedValues![i] = value;
                return;
            }
        }
        if (_changedCount == MaxSparseChanges)
        {
            // Many changes: one private copy of the shared values from now on.
            all = new string?[_baseCount];
            Array.Copy(_base!.Store._values, all, _baseCount);
            for (var i = 0; i < _changedCount; i++) all[_changedSlots![i]] = _changedValues![i];
            all[slot] = value;
            _baseValues = all;
            _changedBits = null;
            _changedSlots = null;
            _changedValues = null;
            _changedCount = 0;
            return;
        }
        _changedBits ??= new ulong[(_baseCount + 63) >> 6];
        _changedSlots ??= new int[MaxSparseChanges];
        _changedValues ??= new string?[MaxSparseChanges];
        _changedBits[slot >> 6] |= 1UL << slot;
        _changedSlots[_changedCount] = slot;
        _changedValues[_changedCount++] = value;
    }

    /// <summary>The hash of the key in a slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly int HashAt(int slot) => slot >= _baseCount ? _hashes[slot - _baseCount] : _base!.Store._hashes[slot];

    /// <summary>Sets the value of a live slot.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetValueAt(int slot, string value)
    {
        if (slot >= _baseCount) _values[slot - _baseCount] = value;
        // The same string again (a joined dict updated from one made from the same statements)
        // is no change: recording it would soon cost a private copy of all the shared values.
        else if (!ReferenceEquals(BaseValueAt(slot), value)) SetBaseValue(slot, value);
    }

    /// <summary>The hash every key is indexed by (the same in every store).</summary>
    public static int Hash(string key) => Hash(key.AsSpan());

    public static int Hash(ReadOnlySpan<char> key)
    {
        var h = 2166136261u;
        foreach (var c in key) h = (h ^ c) * 16777619u;
        return Mixed(h);
    }

    /// <summary>The hash of ASCII text given as its bytes: the same as of its characters.</summary>
    public static int Hash(ReadOnlySpan<byte> ascii)
    {
        var h = 2166136261u;
        foreach (var b in ascii) h = (h ^ b) * 16777619u;
        return Mixed(h);
    }

    private static int Mixed(uint h)
    {
        h ^= h >> 15;
        h *= 0x2c1b3c6du;
        h ^= h >> 12;
        return (int)h;
    }

    /// <summary>The slot of a live key, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly int Find(string key, int hash)
    {
        var own = FindOwn(key, hash);
        if (own >= 0) return _baseCount + own;
        if (_base is null) return -1;
        var slot = _base.Store.FindOwn(key, hash);
        if (slot < 0 || BaseRemoved(slot)) return -1;
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
            SetBaseValue(slot, null);
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

    /// <summary>Moves the own part's live slots together, in order, and rebuilds its index; a shared part below stays as it is.</summary>
    public void CompactOwn()
    {
        if (_ownLive == _count) return;
        var saved = _base;
        _base = null;
        Compact();
        _base = saved;
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
        // Over a shared part: its keys in bulk when none was removed here, then the own live slots.
        var flat = Create(Live + Math.Max(0, extra));
        var shared = _base.Store;
        var n = 0;
        if (_baseLive == _baseCount)
        {
            Array.Copy(shared._keys, flat._keys, _baseCount);
            Array.Copy(shared._hashes, flat._hashes, _baseCount);
            Array.Copy(_baseValues ?? shared._values, flat._values, _baseCount);
            for (var i = 0; i < _changedCount; i++) flat._values[_changedSlots![i]] = _changedValues![i];
            n = _baseCount;
        }
        else
        {
            for (var slot = 0; slot < _baseCount; slot++)
            {
                if (KeyAt(slot) is not { } key) continue;
                flat._keys[n] = key;
                flat._hashes[n] = shared._hashes[slot];
                flat._values[n++] = BaseValueAt(slot);
            }
        }
        for (var i = 0; i < _count; i++)
        {
            if (_keys[i] is not { } key) continue;
            flat._keys[n] = key;
            flat._hashes[n] = _hashes[i];
            flat._values[n++] = _values[i];
        }
        flat._count = n;
        flat._ownLive = n;
        flat.Reindex();
        return flat;
    }

    /// <summary>
    /// A copy that never changes, for stores to sit on: compacted and flat, or, for a store
    /// over a flat one that differs from it in a small own part and a few changes, just that
    /// difference (kept dicts are mostly their base plus a test's few keys: a full copy of each
    /// cost more to make and to keep than the difference costs each dict made from it).
    /// </summary>
    public readonly FrozenStore Freeze(bool plainKeysOnly = false)
    {
        if (_base is not null && _baseValues is null && _count <= Math.Max(MaxDeltaOwnSlots, _baseCount / 4))
            return new FrozenStore(DifferenceCopy(0)) { PlainKeysOnly = plainKeysOnly };
        return FreezeFlat(plainKeysOnly);
    }

    /// <summary>A compacted flat copy that never changes, for stores to sit on.</summary>
    public readonly FrozenStore FreezeFlat(bool plainKeysOnly = false)
    {
        var flat = Clone(0);
        if (flat._ownLive != flat._count) flat.Compact();
        return new FrozenStore(flat) { PlainKeysOnly = plainKeysOnly };
    }

    /// <summary>Grows the own part once so that <paramref name="extra"/> more keys fit.</summary>
    public void EnsureRoom(int extra)
    {
        if (_count + extra <= _keys.Length) return;
        var size = _count + extra;
        Array.Resize(ref _keys, size);
        Array.Resize(ref _values, size);
        Array.Resize(ref _hashes, size);
        _buckets = new int[BucketsFor(size)];
        Reindex();
    }

    private void Grow()
    {
        if (_ownLive < _count / 2)
        {
            // Mostly dead slots: compact instead of growing.
            CompactOwn();
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

/// <summary>
/// An <see cref="OrderedStore"/> that never changes again: flat and compacted (shared as the
/// bottom part of many stores), or a difference over such a flat one (copied into the stores made from it).
/// </summary>
internal sealed class FrozenStore
{
    public FrozenStore(OrderedStore store) => Store = store;

    public readonly OrderedStore Store;

    /// <summary>Its slots (all live when it is flat).</summary>
    public int SlotCount => Store.SlotCount;

    /// <summary>Whether it is a difference over a flat store (not flat itself).</summary>
    public bool IsDifference => Store.Shared is not null;

    /// <summary>The slots it holds itself: all of a flat one, the own part and the changes of a difference.</summary>
    public int HeldSlots => Store.HeldSlots;

    /// <summary>
    /// Set by the dict that froze it when none of its keys is a <c>suffix</c>-renamed one (see
    /// <see cref="WorkingDict.TupleSeparator"/>); false when not known.
    /// </summary>
    public bool PlainKeysOnly { get; init; }
}
