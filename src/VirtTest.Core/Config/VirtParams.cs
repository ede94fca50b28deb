using System.Collections;
using System.Runtime.CompilerServices;

namespace VirtTest.Core.Config;

/// <summary>
/// The parameters of one test (one expanded dict): string keys and values in the order the config
/// produced them. <c>name</c>, <c>shortname</c> and <c>dep</c> are ordinary keys too (<c>dep</c>
/// holds the dependency names separated by spaces) and are also exposed as properties.
/// Keys are case-sensitive.
/// </summary>
public sealed partial class VirtParams : IDictionary<string, string>, IReadOnlyDictionary<string, string>, IDictionary
{
    public const string NameKey = "name";
    public const string ShortNameKey = "shortname";
    public const string DepKey = "dep";

    // Keys and values in insertion order; a removed key leaves a dead slot (compacted now and then).
    private OrderedStore _store;
    private int _version;

    public VirtParams() => _store = OrderedStore.Create(0);

    public VirtParams(IEnumerable<KeyValuePair<string, string>> items) : this()
    {
        foreach (var (k, v) in items) this[k] = v;
    }

    private VirtParams(in OrderedStore store) => _store = store;

    // Name maps still to be written out (their keys hold FileMap.Pending until then).
    private FileMapLog? _pendingMaps;

    /// <summary>Writes out the name maps' text on first read of any value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Materialize()
    {
        if (_pendingMaps is not null) MaterializeSlow();
    }

    private void MaterializeSlow()
    {
        var log = _pendingMaps!;
        for (var i = 0; i < _store.Count; i++)
        {
            if (ReferenceEquals(_store.Values[i], FileMap.Pending))
                _store.Values[i] = FileMap.Render(log, shortNames: _store.Keys[i] == WorkingDict.ShortNameMapKey);
        }
        _pendingMaps = null;
    }

    /// <summary>Takes over a finished dict's storage; the dict must not be used afterwards.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static VirtParams FromWorkingDict(WorkingDict d)
    {
        var p = new VirtParams(in d.Store) { _pendingMaps = d.FileMaps };
        var i = p._store.Find(DepKey);
        if (i >= 0) p._store.Values[i] = d.Dep.Count == 0 ? "" : string.Join(" ", d.Dep);
        return p;
    }

    private string? Lookup(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Materialize();
        var i = _store.Find(key);
        return i >= 0 ? _store.Values[i] : null;
    }

    /// <summary>The full name, with named blocks as <c>(name=value)</c>.</summary>
    public string Name => Get(NameKey) ?? "";
    /// <summary>The short name: plain variant names, default variants left out.</summary>
    public string ShortName => Get(ShortNameKey) ?? "";
    /// <summary>The full names of the tests this one depends on.</summary>
    public IReadOnlyList<string> Dep => Objects(DepKey);
    /// <summary>Per config file (name without folder), the full names of the variants taken from it (<c>_name_map_file</c>).</summary>
    public IReadOnlyDictionary<string, string> NameMapFile => FileMap.Parse(Get("_name_map_file"));
    /// <summary>Per config file, the short names of the variants taken from it, defaults included (<c>_short_name_map_file</c>).</summary>
    public IReadOnlyDictionary<string, string> ShortNameMapFile => FileMap.Parse(Get("_short_name_map_file"));

    /// <summary>The value of a key, or <paramref name="fallback"/> when it is missing.</summary>
    public string? Get(string key, string? fallback = null) => Lookup(key) ?? fallback;

    /// <summary>The white-space separated names in a key's value (<c>Objects("vms")</c>).</summary>
    public IReadOnlyList<string> Objects(string key) =>
        Lookup(key) is { } v ? v.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) : Array.Empty<string>();

    /// <summary>
    /// The parameters of one object (a VM, image, NIC...): every key <c>k_&lt;object&gt;</c>
    /// overrides <c>k</c>, as in <c>mem_vm2</c> for <c>vm2</c>.
    /// </summary>
    public VirtParams ObjectParams(string objectName)
    {
        ArgumentException.ThrowIfNullOrEmpty(objectName);
        var suffix = "_" + objectName;
        Materialize();
        var result = Clone();
        for (var i = 0; i < _store.Count; i++)
        {
            if (_store.Keys[i] is not { } k || !k.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var baseKey = k.Substring(0, k.IndexOf(suffix, StringComparison.Ordinal));
            result[baseKey] = _store.Values[i]!;
        }
        return result;
    }

    /// <summary>A copy that can be changed without touching this one.</summary>
    public VirtParams Clone()
    {
        Materialize();
        return new VirtParams(_store.Clone(4));
    }

    public override string ToString() => ShortName;

    // ---- IDictionary<string,string> ----
    public string this[string key]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(key);
            Materialize();
            var i = _store.Find(key);
            return i >= 0 ? _store.Values[i]! : throw new KeyNotFoundException("no parameter '" + key + "'");
        }
        set
        {
            ArgumentNullException.ThrowIfNull(key);
            ArgumentNullException.ThrowIfNull(value);
            var hash = OrderedStore.Hash(key);
            var i = _store.Find(key, hash);
            if (i >= 0)
            {
                _store.Values[i] = value;
                return;
            }
            _store.Add(key, hash, value);
            _version++;
        }
    }

    private string[] LiveKeys()
    {
        var r = new string[_store.Live];
        var j = 0;
        for (var i = 0; i < _store.Count; i++)
        {
            if (_store.Keys[i] is { } k) r[j++] = k;
        }
        return r;
    }

    private string[] LiveValues()
    {
        Materialize();
        var r = new string[_store.Live];
        var j = 0;
        for (var i = 0; i < _store.Count; i++)
        {
            if (_store.Keys[i] is not null) r[j++] = _store.Values[i]!;
        }
        return r;
    }

    public ICollection<string> Keys => new System.Collections.ObjectModel.ReadOnlyCollection<string>(new KeyList(this));
    public ICollection<string> Values => Array.AsReadOnly(LiveValues());
    public int Count => _store.Live;
    public bool IsReadOnly => false;
    public void Add(string key, string value)
    {
        if (ContainsKey(key)) throw new ArgumentException("parameter '" + key + "' already exists", nameof(key));
        this[key] = value;
    }
    public void Add(KeyValuePair<string, string> item) => Add(item.Key, item.Value);
    public void Clear()
    {
        _store = OrderedStore.Create(0);
        _version++;
    }
    public bool Contains(KeyValuePair<string, string> item) => Lookup(item.Key) is { } v && v == item.Value;
    public bool ContainsKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _store.Find(key) >= 0;
    }
    public void CopyTo(KeyValuePair<string, string>[] array, int arrayIndex)
    {
        foreach (var kv in this) array[arrayIndex++] = kv;
    }
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
    {
        Materialize();
        var version = _version;
        for (var i = 0; i < _store.Count; i++)
        {
            if (version != _version) throw new InvalidOperationException("the parameters were changed while being enumerated");
            if (_store.Keys[i] is { } k) yield return new KeyValuePair<string, string>(k, _store.Values[i]!);
        }
        if (version != _version) throw new InvalidOperationException("the parameters were changed while being enumerated");
    }
    public bool Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var i = _store.Find(key);
        if (i < 0) return false;
        _store.RemoveAt(i);
        _version++;
        if (_store.Count > 16 && _store.Live < _store.Count / 2) _store.Compact();
        return true;
    }
    public bool Remove(KeyValuePair<string, string> item) => Contains(item) && Remove(item.Key);
    public bool TryGetValue(string key, out string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        Materialize();
        var i = _store.Find(key);
        if (i >= 0)
        {
            value = _store.Values[i]!;
            return true;
        }
        value = "";
        return false;
    }

    // ---- IReadOnlyDictionary ----
    IEnumerable<string> IReadOnlyDictionary<string, string>.Keys => new KeyList(this);
    IEnumerable<string> IReadOnlyDictionary<string, string>.Values => LiveValues();

    // ---- non-generic IDictionary (PowerShell, Pester -ForEach, ConvertTo-Json) ----
    object? IDictionary.this[object key]
    {
        get => key is string s ? Lookup(s) : null;
        set => this[(string)key] = value?.ToString() ?? throw new ArgumentNullException(nameof(value));
    }
    ICollection IDictionary.Keys => LiveKeys();
    ICollection IDictionary.Values => LiveValues();
    bool IDictionary.IsFixedSize => false;
    bool ICollection.IsSynchronized => false;
    object ICollection.SyncRoot => this;
    void IDictionary.Add(object key, object? value) => Add((string)key, value?.ToString() ?? throw new ArgumentNullException(nameof(value)));
    bool IDictionary.Contains(object key) => key is string s && ContainsKey(s);
    IDictionaryEnumerator IDictionary.GetEnumerator() => new Enumerator(this);
    void IDictionary.Remove(object key)
    {
        if (key is string s) Remove(s);
    }
    void ICollection.CopyTo(Array array, int index)
    {
        foreach (var (k, v) in this) array.SetValue(new DictionaryEntry(k, v), index++);
    }
    IEnumerator IEnumerable.GetEnumerator() => new Enumerator(this);

    private sealed class Enumerator : IDictionaryEnumerator
    {
        private readonly VirtParams _owner;
        private int _i = -1;
        public Enumerator(VirtParams owner)
        {
            _owner = owner;
            owner.Materialize();
        }
        private string K => _i >= 0 && _i < _owner._store.Count && _owner._store.Keys[_i] is { } k ? k : throw new InvalidOperationException("no current entry");
        public DictionaryEntry Entry => new(K, _owner._store.Values[_i]);
        public object Key => K;
        public object? Value => K is not null ? _owner._store.Values[_i] : null;
        public object Current => Entry;
        public bool MoveNext()
        {
            while (++_i < _owner._store.Count)
            {
                if (_owner._store.Keys[_i] is not null) return true;
            }
            _i = _owner._store.Count;
            return false;
        }
        public void Reset() => _i = -1;
    }

    /// <summary>The keys in order, as a live list (wrapped read-only by <see cref="Keys"/>).</summary>
    private sealed class KeyList : IList<string>, IReadOnlyList<string>
    {
        private readonly VirtParams _owner;
        public KeyList(VirtParams owner) => _owner = owner;
        public int Count => _owner.Count;
        public bool IsReadOnly => true;

        public string this[int index]
        {
            get
            {
                if ((uint)index >= (uint)_owner.Count) throw new ArgumentOutOfRangeException(nameof(index));
                ref var store = ref _owner._store;
                if (store.Live == store.Count) return store.Keys[index]!;
                foreach (var k in this)
                {
                    if (index-- == 0) return k;
                }
                throw new ArgumentOutOfRangeException(nameof(index));
            }
            set => throw new NotSupportedException("the key collection is read-only");
        }

        public int IndexOf(string item)
        {
            var i = 0;
            foreach (var k in this)
            {
                if (k == item) return i;
                i++;
            }
            return -1;
        }

        public bool Contains(string item) => item is not null && _owner.ContainsKey(item);
        public void CopyTo(string[] array, int arrayIndex)
        {
            foreach (var k in this) array[arrayIndex++] = k;
        }
        public IEnumerator<string> GetEnumerator()
        {
            foreach (var kv in _owner) yield return kv.Key;
        }
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
        public void Add(string item) => throw new NotSupportedException("the key collection is read-only");
        public void Insert(int index, string item) => throw new NotSupportedException("the key collection is read-only");
        public void RemoveAt(int index) => throw new NotSupportedException("the key collection is read-only");
        public void Clear() => throw new NotSupportedException("the key collection is read-only");
        public bool Remove(string item) => throw new NotSupportedException("the key collection is read-only");
    }
}
