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
    public static bool IsReserved(string key) => key is NameKey or ShortNameKey or DepKey or NameMapKey or ShortNameMapKey;

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
    /// <summary>The key as a regex sees it: the tuple's parts joined.</summary>
    public static string Flatten(string key) => IsTuple(key) ? key.Replace(TupleSeparator.ToString(), "") : key;

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
    internal int RawCount => _store.Count;

    public bool ContainsKey(string key) => _store.Find(key) >= 0;
    public bool ContainsKey(string key, int hash) => _store.Find(key, hash) >= 0;

    public bool TryGetValue(string key, out string value) => TryGetValue(key, OrderedStore.Hash(key), out value);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryGetValue(string key, int hash, out string value)
    {
        var i = _store.Find(key, hash);
        if (i >= 0)
        {
            value = key == DepKey ? DepRepr() : _store.Values[i]!;
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Set(string key, int hash, string value)
    {
        var i = _store.Find(key, hash);
        if (i >= 0)
        {
            _store.Values[i] = value;
            return;
        }
        _store.Add(key, hash, value);
        if (IsTuple(key)) _tupleKeys++;
        else if (!_maybePostfix && IsPostfixKey(key)) _maybePostfix = true;
    }

    /// <summary><see cref="Set"/> for a key known to be neither a tuple nor reserved; <paramref name="postfix"/> as <see cref="IsPostfixKey"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SetPlain(string key, int hash, string value, bool postfix)
    {
        var i = _store.Find(key, hash);
        if (i >= 0)
        {
            _store.Values[i] = value;
            return;
        }
        _store.Add(key, hash, value);
        if (postfix) _maybePostfix = true;
    }

    /// <summary>The stored value of a key (no rendering), or null.</summary>
    public string? RawValue(string key, int hash)
    {
        var i = _store.Find(key, hash);
        return i >= 0 ? _store.Values[i] : null;
    }

    /// <summary>Stores a value for a plain key that is not a postfix key.</summary>
    public void SetRaw(string key, int hash, string value)
    {
        var i = _store.Find(key, hash);
        if (i >= 0) _store.Values[i] = value;
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public WorkingDict CopyWithReserved(string name, IReadOnlyList<string> dep, string shortName, int extra)
    {
        var copy = new WorkingDict(_store.Clone(extra), _tupleKeys, _maybePostfix, dep, KeepDuplicates, FileMaps);
        copy._store.Values[copy._store.Find(NameKey, NameHash)] = name;
        copy._store.Values[copy._store.Find(ShortNameKey, ShortNameHash)] = shortName;
        return copy;
    }

    public bool Remove(string key, out string value)
    {
        var i = _store.Find(key);
        if (i < 0)
        {
            value = "";
            return false;
        }
        value = _store.Values[i]!;
        _store.RemoveAt(i);
        if (IsTuple(key)) _tupleKeys--;
        return true;
    }

    /// <summary>The key in a slot (null for a dead slot); slots run from 0 to <see cref="RawCount"/>.</summary>
    public string? KeyAt(int slot) => _store.Keys[slot];
    public string ValueAt(int slot) => _store.Values[slot]!;
    public void SetValueAt(int slot, string value) => _store.Values[slot] = value;

    /// <summary>Removes the key in a live slot; the other slots stay where they are.</summary>
    public void RemoveSlot(int slot)
    {
        if (IsTuple(_store.Keys[slot]!)) _tupleKeys--;
        _store.RemoveAt(slot);
    }

    /// <summary>Sets the value of a key that exists, in place (used while iterating).</summary>
    public void SetAt(string key, string value) => _store.Values[_store.Find(key)] = value;

    /// <summary>The live keys in order, as a snapshot that later changes do not disturb.</summary>
    public string[] KeySnapshot()
    {
        var list = new string[_store.Live];
        var j = 0;
        var keys = _store.Keys;
        for (var i = 0; i < _store.Count; i++)
        {
            if (keys[i] is { } k) list[j++] = k;
        }
        return list;
    }

    /// <summary>Live entries in order (values of <c>dep</c> are rendered as the reference prints its list).</summary>
    public IEnumerable<KeyValuePair<string, string>> Entries()
    {
        for (var i = 0; i < _store.Count; i++)
        {
            if (_store.Keys[i] is { } k) yield return new(k, k == DepKey ? DepRepr() : _store.Values[i]!);
        }
    }

    public WorkingDict Copy() => new(_store.Clone(8), _tupleKeys, _maybePostfix, Dep, KeepDuplicates, FileMaps);

    /// <summary>Python's <c>dict.update</c>: existing keys keep their place, new ones go to the end.</summary>
    public void Update(WorkingDict other)
    {
        for (var i = 0; i < other._store.Count; i++)
        {
            if (other._store.Keys[i] is { } k) Set(k, OrderedStore.Hash(k), other._store.Values[i]!);
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

    /// <summary>The name-map statements met so far, newest first (the map keys hold <see cref="FileMap.Pending"/>).</summary>
    public FileMapLog? FileMaps { get; private set; }

    /// <summary>Records a variant's names in the per-file maps; the first one adds both keys.</summary>
    public void AddFileMap(FileMapOp op)
    {
        if (_store.Find(NameMapKey, NameMapHash) < 0) _store.Add(NameMapKey, NameMapHash, FileMap.Pending);
        if (_store.Find(ShortNameMapKey, ShortNameMapHash) < 0) _store.Add(ShortNameMapKey, ShortNameMapHash, FileMap.Pending);
        FileMaps = new FileMapLog(op, FileMaps);
    }

    /// <summary>
    /// The dict with suffixed keys folded back into plain ones: a suffixed key whose value
    /// equals every other key of the same base becomes the base key; otherwise its suffixes are
    /// appended to the base, innermost last (always so with <see cref="KeepDuplicates"/>).
    /// </summary>
    public WorkingDict DropSuffixes()
    {
        if (_tupleKeys == 0) return this;
        var flat = Copy();
        // Per base name: is there more than one distinct value among its keys?
        var firstValue = new Dictionary<string, string>(StringComparer.Ordinal);
        var mixed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (k, v) in Entries())
        {
            var b = BaseOf(k);
            if (firstValue.TryGetValue(b, out var f)) { if (f != v) mixed.Add(b); }
            else firstValue[b] = v;
        }
        foreach (var (key, value) in Entries().ToList())
        {
            if (!IsTuple(key)) continue;
            var gen = BaseOf(key);
            if (!KeepDuplicates && TryGetValue(gen, out var genValue) && genValue == value)
            {
                flat.Remove(key, out _);
                continue;
            }
            string newKey;
            if (!KeepDuplicates && !mixed.Contains(gen))
            {
                newKey = gen;
            }
            else
            {
                var parts = key.Split(TupleSeparator);
                newKey = parts[0] + string.Concat(parts.Skip(1).Reverse());
            }
            flat.Remove(key, out var moved);
            flat[newKey] = moved;
        }
        return flat;
    }
}
