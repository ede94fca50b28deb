using System.Runtime.CompilerServices;
using System.Text;

namespace VirtTest.Core.Config;

/// <summary>
/// The mutable, insertion-ordered dict a test is built in while expanding. Keys behave like the
/// reference's: re-assigning keeps a key's position, deleting and re-adding moves it to the end.
/// A key that a <c>suffix</c> statement has touched is a tuple (base, suffix1, suffix2, ...);
/// it is stored as one string with <see cref="TupleSeparator"/> between the parts.
/// </summary>
/// <remarks>
/// Keys and values live in two parallel arrays in insertion order (removed keys leave a null
/// slot behind), with a hash index from key to slot. A finished dict hands these arrays over to
/// its <see cref="VirtParams"/> without copying them.
/// </remarks>
internal sealed class WorkingDict
{
    public const char TupleSeparator = '\u0001';
    private const string TupleSeparatorText = "\u0001";
    public const string NameKey = "name";
    public const string ShortNameKey = "shortname";
    public const string DepKey = "dep";
    /// <summary>Per config file, the full names of the variants taken from it (see <see cref="FileMapOp"/>).</summary>
    public const string NameMapKey = "_name_map_file";
    /// <summary>Per config file, the short names of the variants taken from it.</summary>
    public const string ShortNameMapKey = "_short_name_map_file";

    private OrderedStore _store;
    private int _tupleKeys;
    private bool _maybePostfix;

    public WorkingDict(int capacity = 32) => _store = OrderedStore.Create(capacity);

    private WorkingDict(in OrderedStore store, int tupleKeys, bool maybePostfix, IReadOnlyList<string> dep, bool keepDuplicates, FileMapLog? fileMaps)
    {
        KeepDuplicates = keepDuplicates;
        FileMaps = fileMaps;
        _store = store;
        _tupleKeys = tupleKeys;
        _maybePostfix = maybePostfix;
        Dep = dep;
    }

    /// <summary>The dependency names; the <c>dep</c> key holds its place in the order.</summary>
    public IReadOnlyList<string> Dep { get; set; } = Array.Empty<string>();

    public int Count => _store.Live;
    public bool HasTupleKeys => _tupleKeys > 0;

    /// <summary>False when no key ending in <c>_max</c>, <c>_min</c> or <c>_fixed</c> was ever added.</summary>
    public bool MaybeHasPostfixKeys => _maybePostfix;

    /// <summary>Keys no statement assigns, deletes, renames or matches: the dict's identity and bookkeeping.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsReserved(string key) => key.Length switch
    {
        // By length and first character before comparing: this runs for every key of many statements.
        3 => key[0] == 'd' && key == DepKey,
        4 => key[0] == 'n' && key == NameKey,
        9 => key[0] == 's' && key == ShortNameKey,
        14 => key[0] == '_' && key == NameMapKey,
        20 => key[0] == '_' && key == ShortNameMapKey,
        _ => false,
    };

    /// <summary>
    /// Keep suffixed keys apart when folding them (the reference's <c>skipdups=False</c>): a key
    /// renamed by <c>suffix</c> always becomes base + suffixes, even when its value equals the base key's.
    /// </summary>
    public bool KeepDuplicates { get; set; }
    public static bool IsTuple(string key) => key.IndexOf(TupleSeparator) >= 0;
    public static string BaseOf(string key)
    {
        var i = key.IndexOf(TupleSeparator);
        return i < 0 ? key : key.Substring(0, i);
    }
    /// <summary>The key as a regex sees it: the tuple's parts joined (one new string; the separator is a constant, not a string made per call).</summary>
    public static string Flatten(string key) => IsTuple(key) ? key.Replace(TupleSeparatorText, "") : key;

    /// <summary>Whether <see cref="PostfixRules"/> may have something to do with this key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsPostfixKey(string key)
    {
        if (key.Length < 4) return false;
        return key[^1] switch
        {
            'x' => key.EndsWith("_max", StringComparison.Ordinal),
            'n' => key.EndsWith("_min", StringComparison.Ordinal),
            'd' => key.EndsWith("_fixed", StringComparison.Ordinal),
            _ => false,
        };
    }

    private static readonly int NameHash = OrderedStore.Hash(NameKey);
    private static readonly int DepHash = OrderedStore.Hash(DepKey);
    private static readonly int ShortNameHash = OrderedStore.Hash(ShortNameKey);

    /// <summary>The storage, for <see cref="VirtParams"/> to take over.</summary>
    internal ref readonly OrderedStore Store => ref _store;
    internal int RawCount => _store.SlotCount;

    /// <summary>Takes <paramref name="store"/> as the dict's storage (a statement that rebuilt every key); <paramref name="tupleKeys"/> of its keys are suffixed ones.</summary>
    internal void ReplaceStore(in OrderedStore store, int tupleKeys)
    {
        _store = store;
        _tupleKeys = tupleKeys;
    }
    /// <summary>The slots this dict's storage holds itself (not those it shares).</summary>
    internal int HeldSlots => _store.HeldSlots;

    public bool ContainsKey(string key) => _store.Find(key) >= 0;
    public bool ContainsKey(string key, int hash) => _store.Find(key, hash) >= 0;

    public bool TryGetValue(string key, out string value) => TryGetValue(key, OrderedStore.Hash(key), out value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(string key, int hash, out string value)
    {
        var i = _store.Find(key, hash);
        if (i >= 0)
        {
            value = key == DepKey ? DepRepr() : _store.ValueAt(i)!;
            if (ReferenceEquals(value, FileMap.Pending)) value = FileMap.Render(FileMaps!, shortNames: key == ShortNameMapKey);
            return true;
        }
        value = "";
        return false;
    }

    public string this[string key]
    {
        get => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException(key);
        set => Set(key, OrderedStore.Hash(key), value);
    }

    public void Set(string key, int hash, string value)
    {
        var i = _store.Find(key, hash);
        if (i >= 0)
        {
            _store.SetValueAt(i, value);
            return;
        }
        _store.Add(key, hash, value);
        if (IsTuple(key)) _tupleKeys++;
        else if (!_maybePostfix && IsPostfixKey(key)) _maybePostfix = true;
    }

    /// <summary><see cref="Set"/> for a key known to be neither a tuple nor reserved; <paramref name="postfix"/> as <see cref="IsPostfixKey"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetPlain(string key, int hash, string value, bool postfix)
    {
        var i = _store.Find(key, hash);
        if (i >= 0)
        {
            _store.SetValueAt(i, value);
            return;
        }
        _store.Add(key, hash, value);
        if (postfix) _maybePostfix = true;
    }

    /// <summary>The stored value of a key (no rendering), or null.</summary>
    public string? RawValue(string key, int hash)
    {
        var i = _store.Find(key, hash);
        return i >= 0 ? _store.ValueAt(i) : null;
    }

    /// <summary>Stores a value for a plain key that is not a postfix key.</summary>
    public void SetRaw(string key, int hash, string value)
    {
        var i = _store.Find(key, hash);
        if (i >= 0) _store.SetValueAt(i, value);
        else _store.Add(key, hash, value);
    }

    /// <summary>Adds the three reserved keys to an empty dict, in the reference's order.</summary>
    public void InitReserved(string name, IReadOnlyList<string> dep, string shortName)
    {
        _store.Add(NameKey, NameHash, name);
        _store.Add(DepKey, DepHash, "");
        _store.Add(ShortNameKey, ShortNameHash, shortName);
        Dep = dep;
    }

    /// <summary>A copy with other reserved values (the keys keep their places) and room for <paramref name="extra"/> more keys.</summary>
    public WorkingDict CopyWithReserved(string name, IReadOnlyList<string> dep, string shortName, int extra)
    {
        // On a kept dict (frozen), the copy shares its keys and values and holds only what changes.
        var store = _store.FrozenSource is { } frozen ? OrderedStore.Over(frozen, extra) : _store.Clone(extra);
        var copy = new WorkingDict(store, _tupleKeys, _maybePostfix, dep, KeepDuplicates, FileMaps);
        copy._store.SetValueAt(copy._store.Find(NameKey, NameHash), name);
        copy._store.SetValueAt(copy._store.Find(ShortNameKey, ShortNameHash), shortName);
        return copy;
    }

    public bool Remove(string key, out string value) => Remove(key, OrderedStore.Hash(key), out value);

    public bool Remove(string key, int hash, out string value)
    {
        var i = _store.Find(key, hash);
        if (i < 0)
        {
            value = "";
            return false;
        }
        value = _store.ValueAt(i)!;
        _store.RemoveAt(i);
        if (IsTuple(key)) _tupleKeys--;
        return true;
    }

    /// <summary>The kept dict's storage this dict sits on (its slots come first), or null.</summary>
    public FrozenStore? Shared => _store.Shared;

    /// <summary>The key in a slot (null for a dead slot); slots run from 0 to <see cref="RawCount"/>.</summary>
    public string? KeyAt(int slot) => _store.KeyAt(slot);
    public string ValueAt(int slot) => _store.ValueAt(slot)!;
    /// <summary>The hash of the key in a slot (<see cref="OrderedStore.Hash(string)"/>).</summary>
    public int HashAt(int slot) => _store.HashAt(slot);
    public void SetValueAt(int slot, string value) => _store.SetValueAt(slot, value);

    /// <summary>Removes the key in a live slot; the other slots stay where they are.</summary>
    public void RemoveSlot(int slot)
    {
        if (IsTuple(_store.KeyAt(slot)!)) _tupleKeys--;
        _store.RemoveAt(slot);
    }

    /// <summary>Sets the value of a key that exists, in place (used while iterating).</summary>
    public void SetAt(string key, string value) => _store.SetValueAt(_store.Find(key), value);

    /// <summary>Live entries in order (values of <c>dep</c> are rendered as the reference prints its list).</summary>
    public IEnumerable<KeyValuePair<string, string>> Entries()
    {
        for (var i = 0; i < _store.SlotCount; i++)
        {
            if (_store.KeyAt(i) is { } k) yield return new(k, k == DepKey ? DepRepr() : _store.ValueAt(i)!);
        }
    }

    /// <summary>The live keys and values in order into one new array, each key followed by its value (what a block's batch of plain sets keeps).</summary>
    public string[] CopyEntries()
    {
        var entries = new string[2 * Count];
        var n = 0;
        for (var i = 0; i < _store.SlotCount; i++)
        {
            if (_store.KeyAt(i) is not { } k) continue;
            entries[n++] = k;
            entries[n++] = k == DepKey ? DepRepr() : _store.ValueAt(i)!;
        }
        return entries;
    }

    /// <summary>Empties the dict for reuse (the parser's batches: one per open block, not one per block).</summary>
    public void Clear()
    {
        _store.Clear();
        _tupleKeys = 0;
        _maybePostfix = false;
        Dep = Array.Empty<string>();
        FileMaps = null;
        KeepDuplicates = false;
    }

    /// <summary>A copy with room for <paramref name="extra"/> more keys (on the same shared part, if any).</summary>
    public WorkingDict Copy(int extra = 8) => new(_store.Copy(extra), _tupleKeys, _maybePostfix, Dep, KeepDuplicates, FileMaps);

    /// <summary>Makes room for <paramref name="extra"/> more keys at once (instead of growing step by step while they come).</summary>
    public void EnsureRoom(int extra) => _store.EnsureRoom(extra);

    /// <summary>
    /// A copy that never changes, to keep: copies made from it with <see cref="CopyWithReserved"/>
    /// share its storage (a small difference from a flat store is copied into them; see <see cref="OrderedStore.Freeze"/>).
    /// </summary>
    public WorkingDict Frozen() => new(OrderedStore.ViewOf(_store.Freeze(plainKeysOnly: _tupleKeys == 0)), _tupleKeys, _maybePostfix, Dep, KeepDuplicates, FileMaps);

    /// <summary>Whether this kept dict (see <see cref="Frozen"/>) holds only its difference from a flat one, copied into each dict made from it.</summary>
    public bool IsFrozenDifference => _store.FrozenSource is { IsDifference: true };

    /// <summary>A kept dict with the same entries, flat: dicts made from it copy nothing of it.</summary>
    public WorkingDict FrozenFlat() => new(OrderedStore.ViewOf(_store.FreezeFlat(plainKeysOnly: _tupleKeys == 0)), _tupleKeys, _maybePostfix, Dep, KeepDuplicates, FileMaps);

    /// <summary>A copy updated with <paramref name="other"/> (a join of two dicts), with room for exactly the keys it adds.</summary>
    public WorkingDict CopyUpdated(WorkingDict other)
    {
        var added = 0;
        for (var i = 0; i < other._store.SlotCount; i++)
        {
            if (other._store.KeyAt(i) is { } k && _store.Find(k, other._store.HashAt(i)) < 0) added++;
        }
        var copy = Copy(added);
        copy.Update(other);
        return copy;
    }

    /// <summary>Python's <c>dict.update</c>: existing keys keep their place, new ones go to the end.</summary>
    public void Update(WorkingDict other)
    {
        for (var i = 0; i < other._store.SlotCount; i++)
        {
            if (other._store.KeyAt(i) is { } k) Set(k, other._store.HashAt(i), other._store.ValueAt(i)!);
        }
        if (other.ContainsKey(DepKey)) Dep = other.Dep;
        // The maps' values came over as they are: pending ones are made from the other's statements.
        if (other.FileMaps is not null) FileMaps = other.FileMaps;
    }

    private string DepRepr()
    {
        if (Dep.Count == 0) return "[]";
        var sb = new StringBuilder("[");
        for (var i = 0; i < Dep.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append('\'').Append(Dep[i]).Append('\'');
        }
        return sb.Append(']').ToString();
    }

    private static readonly int NameMapHash = OrderedStore.Hash(NameMapKey);
    private static readonly int ShortNameMapHash = OrderedStore.Hash(ShortNameMapKey);

    // The name-map statements met: older runs (shared), then this dict's own run so far.
    private FileMapLog? _olderMaps;
    private FileMapOp[]? _newMaps;
    private int _newMapCount;

    /// <summary>The name-map statements met so far, as an immutable log (the map keys hold <see cref="FileMap.Pending"/>).</summary>
    public FileMapLog? FileMaps
    {
        get
        {
            if (_newMapCount > 0)
            {
                // The run so far becomes immutable, handed over without a copy; a later statement starts a new one.
                _olderMaps = new FileMapLog(_newMaps!, _newMapCount, _olderMaps);
                _newMaps = null;
                _newMapCount = 0;
            }
            return _olderMaps;
        }
        private set
        {
            _olderMaps = value;
            _newMaps = null;
            _newMapCount = 0;
        }
    }

    /// <summary>Records a variant's names in the per-file maps; the first one adds both keys (reserved: no statement removes them).</summary>
    public void AddFileMap(FileMapOp op)
    {
        if (_olderMaps is null && _newMapCount == 0)
        {
            if (_store.Find(NameMapKey, NameMapHash) < 0) _store.Add(NameMapKey, NameMapHash, FileMap.Pending);
            if (_store.Find(ShortNameMapKey, ShortNameMapHash) < 0) _store.Add(ShortNameMapKey, ShortNameMapHash, FileMap.Pending);
        }
        var run = _newMaps ??= new FileMapOp[MapRunCapacity];
        if (_newMapCount == run.Length) Array.Resize(ref _newMaps, run.Length * 2);
        _newMaps![_newMapCount++] = op;
    }

    private const int MapRunCapacity = 32;

    /// <summary>
    /// Folds the suffixed keys back into plain ones, in place: a suffixed key whose value equals
    /// every other key of the same base becomes the base key; otherwise its suffixes are appended
    /// to the base, innermost last (always so with <see cref="KeepDuplicates"/>). The plain keys
    /// keep their order; each folded key is then set in the order the suffixed keys came (in
    /// place when that key is there, else at the end).
    /// </summary>
    /// <remarks>
    /// What each suffixed key becomes is decided on the dict as it was, before anything moves
    /// (a folded name may be another base's plain key); then the suffixed keys leave their slots
    /// and the folded ones are set, into the room they left. Folding the dict a leaf or a join
    /// just made, instead of a folded copy of it, saves a store per dict with suffixed keys
    /// (hundreds of slots each on the real-tree-shaped default run).
    /// </remarks>
    public void FoldSuffixes()
    {
        if (_tupleKeys == 0) return;
        var names = TupleNames ??= new KeyTable<TupleName>();
        if (names.Count > MaxTupleNames) names.Clear();
        var groups = Groups ??= new KeyTable<ValueGroup>();
        groups.Clear();
        var slots = _store.SlotCount;
        // Per base name: is there more than one distinct value among its keys?
        for (var slot = 0; slot < slots; slot++)
        {
            if (_store.KeyAt(slot) is not { } key) continue;
            var value = key == DepKey ? DepRepr() : _store.ValueAt(slot)!;
            var (b, bh) = IsTuple(key) ? NameOf(names, key, _store.HashAt(slot)) is var t ? (t.Base, t.BaseHash) : default : (key, _store.HashAt(slot));
            ref var g = ref groups.FindOrAdd(b, bh, out var added);
            if (added) g = new ValueGroup(value, false);
            else if (!g.Mixed && g.First != value) g.Mixed = true;
        }
        // Each suffixed key, in order: dropped, or the key and value it is set as.
        var sets = FoldedSets ??= new FoldedSet[16];
        var setCount = 0;
        for (var slot = 0; slot < slots; slot++)
        {
            if (_store.KeyAt(slot) is not { } key || !IsTuple(key)) continue;
            var value = _store.ValueAt(slot)!;
            var t = NameOf(names, key, _store.HashAt(slot));
            if (!KeepDuplicates && TryGetValue(t.Base, t.BaseHash, out var genValue) && genValue == value) continue;
            groups.TryGet(t.Base, t.BaseHash, out var group);
            var plain = !KeepDuplicates && !group.Mixed;
            if (setCount == sets.Length) FoldedSets = sets = ArrayGrowth.Doubled(sets, setCount);
            sets[setCount++] = plain ? new FoldedSet(t.Base, t.BaseHash, value) : new FoldedSet(t.Reversed, t.ReversedHash, value);
        }
        // Suffixed keys in a shared part (a kept dict that had them) cannot leave it: a flat copy to fold.
        if (_store.Shared is { PlainKeysOnly: false }) _store = _store.Clone(0);
        for (var slot = _store.SharedSlotCount; slot < _store.SlotCount; slot++)
        {
            if (_store.KeyAt(slot) is { } key && IsTuple(key)) _store.RemoveAt(slot);
        }
        _store.CompactOwn();
        _tupleKeys = 0;
        for (var i = 0; i < setCount; i++)
        {
            var set = sets[i];
            Set(set.Key, set.Hash, set.Value);
        }
        // Not kept past the fold: the strings would stay alive until the next fold on the thread.
        Array.Clear(sets, 0, setCount);
    }

    /// <summary>What a suffixed key becomes when folded.</summary>
    private readonly record struct FoldedSet(string Key, int Hash, string Value);

    /// <summary>A suffixed key's base name and its folded name (base, then the suffixes innermost last), with their hashes.</summary>
    private readonly record struct TupleName(string Base, int BaseHash, string Reversed, int ReversedHash);

    /// <summary>
    /// The value <paramref name="key"/> would have after <see cref="FoldSuffixes"/>,
    /// found without folding: a substitution looks up a key or two, and a dict with suffixed
    /// keys holds hundreds (a folded copy per substitution was a fifth of a default run's allocation).
    /// </summary>
    public bool TryGetFoldedValue(string key, int hash, out string value)
    {
        if (_tupleKeys == 0) return TryGetValue(key, hash, out value);
        // The fold's first pass: the plain keys as they are.
        var found = TryGetValue(key, hash, out value) && !IsTuple(key);
        if (!found) value = "";
        var names = TupleNames ??= new KeyTable<TupleName>();
        if (names.Count > MaxTupleNames) names.Clear();
        string? groupBase = null;
        var groupMixed = false;
        // Its second pass: each suffixed key in order, dropped or set under its folded name; the last one set wins.
        var slots = _store.SlotCount;
        for (var slot = 0; slot < slots; slot++)
        {
            if (_store.KeyAt(slot) is not { } k || !IsTuple(k)) continue;
            var t = NameOf(names, k, _store.HashAt(slot));
            var baseMatch = t.Base == key;
            if (!baseMatch && t.Reversed != key) continue;
            var v = _store.ValueAt(slot)!;
            if (!KeepDuplicates && TryGetValue(t.Base, t.BaseHash, out var plainValue) && plainValue == v) continue;
            bool plain;
            if (KeepDuplicates)
            {
                plain = false;
            }
            else
            {
                if (!ReferenceEquals(groupBase, t.Base))
                {
                    groupBase = t.Base;
                    groupMixed = HasMixedValues(names, t.Base);
                }
                plain = !groupMixed;
            }
            if (plain ? baseMatch : t.Reversed == key)
            {
                value = v;
                found = true;
            }
        }
        return found;
    }

    /// <summary>Whether the keys of one base name (the plain key and its suffixed ones) hold more than one distinct value.</summary>
    private bool HasMixedValues(KeyTable<TupleName> names, string baseName)
    {
        string? first = null;
        var slots = _store.SlotCount;
        for (var slot = 0; slot < slots; slot++)
        {
            if (_store.KeyAt(slot) is not { } k) continue;
            if (IsTuple(k) ? NameOf(names, k, _store.HashAt(slot)).Base != baseName : k != baseName) continue;
            var value = k == DepKey ? DepRepr() : _store.ValueAt(slot)!;
            if (first is null) first = value;
            else if (first != value) return true;
        }
        return false;
    }

    private const int MaxTupleNames = 1 << 16;
    // Reused by every fold on a thread: the same suffixed keys come back in every leaf.
    [ThreadStatic] private static KeyTable<TupleName>? TupleNames;
    [ThreadStatic] private static KeyTable<ValueGroup>? Groups;
    // An array, not a List: List<T> over this assembly's structs is not precompiled (ArrayGrowth).
    [ThreadStatic] private static FoldedSet[]? FoldedSets;

    /// <summary>Per base name: the first value met, and whether another value differs from it (a struct of this assembly, precompiled unlike a tuple's code).</summary>
    private record struct ValueGroup(string First, bool Mixed);

    private static TupleName NameOf(KeyTable<TupleName> names, string key, int hash)
    {
        if (names.TryGet(key, hash, out var t)) return t;
        var parts = key.Split(TupleSeparator);
        var b = parts[0];
        var reversed = b + string.Concat(parts.Skip(1).Reverse());
        t = new TupleName(b, OrderedStore.Hash(b), reversed, OrderedStore.Hash(reversed));
        names.Add(key, hash, t);
        return t;
    }
}
