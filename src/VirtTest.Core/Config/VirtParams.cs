using System.Collections;

namespace VirtTest.Core.Config;

/// <summary>
/// The parameters of one test (one expanded dict): string keys and values in the order the config
/// produced them. <c>name</c>, <c>shortname</c> and <c>dep</c> are ordinary keys too (<c>dep</c>
/// holds the dependency names separated by spaces) and are also exposed as properties.
/// Keys are case-sensitive.
/// </summary>
public sealed class VirtParams : IDictionary<string, string>, IReadOnlyDictionary<string, string>, IDictionary
{
    public const string NameKey = "name";
    public const string ShortNameKey = "shortname";
    public const string DepKey = "dep";

    private readonly List<string> _keys;
    private readonly Dictionary<string, string> _map;

    public VirtParams()
    {
        _keys = new List<string>();
        _map = new Dictionary<string, string>(StringComparer.Ordinal);
    }

    public VirtParams(IEnumerable<KeyValuePair<string, string>> items) : this()
    {
        foreach (var (k, v) in items) this[k] = v;
    }

    private VirtParams(int capacity)
    {
        _keys = new List<string>(capacity);
        _map = new Dictionary<string, string>(capacity, StringComparer.Ordinal);
    }

    internal static VirtParams FromWorkingDict(WorkingDict d)
    {
        var p = new VirtParams(d.Count);
        foreach (var (k, v) in d.Entries())
        {
            p._keys.Add(k);
            p._map[k] = k == DepKey ? string.Join(" ", d.Dep) : v;
        }
        return p;
    }

    /// <summary>The full name, with named blocks as <c>(name=value)</c>.</summary>
    public string Name => Get(NameKey) ?? "";
    /// <summary>The short name: plain variant names, default variants left out.</summary>
    public string ShortName => Get(ShortNameKey) ?? "";
    /// <summary>The full names of the tests this one depends on.</summary>
    public IReadOnlyList<string> Dep => Objects(DepKey);

    /// <summary>The value of a key, or <paramref name="fallback"/> when it is missing.</summary>
    public string? Get(string key, string? fallback = null) => _map.TryGetValue(key, out var v) ? v : fallback;

    /// <summary>The white-space separated names in a key's value (<c>Objects("vms")</c>).</summary>
    public IReadOnlyList<string> Objects(string key) =>
        _map.TryGetValue(key, out var v) ? v.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) : Array.Empty<string>();

    /// <summary>
    /// The parameters of one object (a VM, image, NIC...): every key <c>k_&lt;object&gt;</c>
    /// overrides <c>k</c>, as in <c>mem_vm2</c> for <c>vm2</c>.
    /// </summary>
    public VirtParams ObjectParams(string objectName)
    {
        ArgumentException.ThrowIfNullOrEmpty(objectName);
        var suffix = "_" + objectName;
        var result = new VirtParams(_keys.Count);
        foreach (var k in _keys)
        {
            result._keys.Add(k);
            result._map[k] = _map[k];
        }
        foreach (var k in _keys)
        {
            if (!k.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var baseKey = k.Substring(0, k.IndexOf(suffix, StringComparison.Ordinal));
            result[baseKey] = _map[k];
        }
        return result;
    }

    /// <summary>A copy that can be changed without touching this one.</summary>
    public VirtParams Clone() => new(this);

    public override string ToString() => ShortName;

    // ---- IDictionary<string,string> ----
    public string this[string key]
    {
        get => _map.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException("no parameter '" + key + "'");
        set
        {
            ArgumentNullException.ThrowIfNull(key);
            ArgumentNullException.ThrowIfNull(value);
            if (!_map.ContainsKey(key)) _keys.Add(key);
            _map[key] = value;
        }
    }

    public ICollection<string> Keys => _keys.AsReadOnly();
    public ICollection<string> Values => _keys.Select(k => _map[k]).ToList().AsReadOnly();
    public int Count => _keys.Count;
    public bool IsReadOnly => false;
    public void Add(string key, string value)
    {
        if (_map.ContainsKey(key)) throw new ArgumentException("parameter '" + key + "' already exists", nameof(key));
        this[key] = value;
    }
    public void Add(KeyValuePair<string, string> item) => Add(item.Key, item.Value);
    public void Clear()
    {
        _keys.Clear();
        _map.Clear();
    }
    public bool Contains(KeyValuePair<string, string> item) => _map.TryGetValue(item.Key, out var v) && v == item.Value;
    public bool ContainsKey(string key) => _map.ContainsKey(key);
    public void CopyTo(KeyValuePair<string, string>[] array, int arrayIndex)
    {
        foreach (var kv in this) array[arrayIndex++] = kv;
    }
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
    {
        foreach (var k in _keys) yield return new KeyValuePair<string, string>(k, _map[k]);
    }
    public bool Remove(string key)
    {
        if (!_map.Remove(key)) return false;
        _keys.Remove(key);
        return true;
    }
    public bool Remove(KeyValuePair<string, string> item) => Contains(item) && Remove(item.Key);
    public bool TryGetValue(string key, out string value)
    {
        if (_map.TryGetValue(key, out var v))
        {
            value = v;
            return true;
        }
        value = "";
        return false;
    }

    // ---- IReadOnlyDictionary ----
    IEnumerable<string> IReadOnlyDictionary<string, string>.Keys => _keys;
    IEnumerable<string> IReadOnlyDictionary<string, string>.Values => _keys.Select(k => _map[k]);

    // ---- non-generic IDictionary (PowerShell, Pester -ForEach, ConvertTo-Json) ----
    object? IDictionary.this[object key]
    {
        get => key is string s && _map.TryGetValue(s, out var v) ? v : null;
        set => this[(string)key] = value?.ToString() ?? throw new ArgumentNullException(nameof(value));
    }
    ICollection IDictionary.Keys => _keys.ToArray();
    ICollection IDictionary.Values => _keys.Select(k => _map[k]).ToArray();
    bool IDictionary.IsFixedSize => false;
    bool ICollection.IsSynchronized => false;
    object ICollection.SyncRoot => this;
    void IDictionary.Add(object key, object? value) => Add((string)key, value?.ToString() ?? throw new ArgumentNullException(nameof(value)));
    bool IDictionary.Contains(object key) => key is string s && _map.ContainsKey(s);
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
        public Enumerator(VirtParams owner) => _owner = owner;
        private string K => _owner._keys[_i];
        public DictionaryEntry Entry => new(K, _owner._map[K]);
        public object Key => K;
        public object? Value => _owner._map[K];
        public object Current => Entry;
        public bool MoveNext() => ++_i < _owner._keys.Count;
        public void Reset() => _i = -1;
    }
}
