namespace VirtTest.Core.Config;

/// <summary>
/// The mutable, insertion-ordered dict a test is built in while expanding. Keys behave like the
/// reference's: re-assigning keeps a key's position, deleting and re-adding moves it to the end.
/// A key that a <c>suffix</c> statement has touched is a tuple (base, suffix1, suffix2, ...);
/// it is stored as one string with <see cref="TupleSeparator"/> between the parts.
/// </summary>
internal sealed class WorkingDict
{
    public const char TupleSeparator = '\u0001';
    public const string NameKey = "name";
    public const string ShortNameKey = "shortname";
    public const string DepKey = "dep";

    private readonly Dictionary<string, int> _index;
    private string?[] _keys;
    private string?[] _values;
    private int _count;      // slots used, dead ones included
    private int _live;
    private int _tupleKeys;

    public WorkingDict(int capacity = 32)
    {
        _index = new Dictionary<string, int>(capacity, StringComparer.Ordinal);
        _keys = new string?[capacity];
        _values = new string?[capacity];
    }

    /// <summary>The dependency names; the <c>dep</c> key holds its place in the order.</summary>
    public List<string> Dep { get; set; } = new();

    public int Count => _live;
    public bool HasTupleKeys => _tupleKeys > 0;

    public static bool IsReserved(string key) => key is NameKey or ShortNameKey or DepKey;
    public static bool IsTuple(string key) => key.IndexOf(TupleSeparator) >= 0;
    public static string BaseOf(string key)
    {
        var i = key.IndexOf(TupleSeparator);
        return i < 0 ? key : key.Substring(0, i);
    }
    /// <summary>The key as a regex sees it: the tuple's parts joined.</summary>
    public static string Flatten(string key) => IsTuple(key) ? key.Replace(TupleSeparator.ToString(), "") : key;

    public bool ContainsKey(string key) => _index.ContainsKey(key);

    public bool TryGetValue(string key, out string value)
    {
        if (_index.TryGetValue(key, out var i))
        {
            value = key == DepKey ? DepRepr() : _values[i]!;
            return true;
        }
        value = "";
        return false;
    }

    public string this[string key]
    {
        get => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException(key);
        set
        {
            if (_index.TryGetValue(key, out var i))
            {
                _values[i] = value;
                return;
            }
            if (_count == _keys.Length) Grow();
            _keys[_count] = key;
            _values[_count] = value;
            _index[key] = _count;
            _count++;
            _live++;
            if (IsTuple(key)) _tupleKeys++;
        }
    }

    public bool Remove(string key, out string value)
    {
        if (!_index.TryGetValue(key, out var i))
        {
            value = "";
            return false;
        }
        value = _values[i]!;
        _index.Remove(key);
        _keys[i] = null;
        _values[i] = null;
        _live--;
        if (IsTuple(key)) _tupleKeys--;
        return true;
    }

    /// <summary>Sets the value of a key that exists, in place (used while iterating).</summary>
    public void SetAt(string key, string value) => _values[_index[key]] = value;

    /// <summary>The live keys in order, as a snapshot that later changes do not disturb.</summary>
    public List<string> KeySnapshot()
    {
        var list = new List<string>(_live);
        for (var i = 0; i < _count; i++)
        {
            if (_keys[i] is { } k) list.Add(k);
        }
        return list;
    }

    /// <summary>Live entries in order (values of <c>dep</c> are rendered as the reference prints its list).</summary>
    public IEnumerable<KeyValuePair<string, string>> Entries()
    {
        for (var i = 0; i < _count; i++)
        {
            if (_keys[i] is { } k) yield return new(k, k == DepKey ? DepRepr() : _values[i]!);
        }
    }

    public WorkingDict Copy()
    {
        var copy = new WorkingDict(Math.Max(8, _live + 8));
        for (var i = 0; i < _count; i++)
        {
            if (_keys[i] is { } k) copy[k] = _values[i]!;
        }
        copy.Dep = Dep;
        return copy;
    }

    /// <summary>Python's <c>dict.update</c>: existing keys keep their place, new ones go to the end.</summary>
    public void Update(WorkingDict other)
    {
        for (var i = 0; i < other._count; i++)
        {
            if (other._keys[i] is { } k) this[k] = other._values[i]!;
        }
        if (other.ContainsKey(DepKey)) Dep = other.Dep;
    }

    private string DepRepr() => "[" + string.Join(", ", Dep.Select(d => "'" + d + "'")) + "]";

    private void Grow()
    {
        if (_live < _count / 2)
        {
            // Mostly dead slots: compact instead of growing.
            var j = 0;
            for (var i = 0; i < _count; i++)
            {
                if (_keys[i] is { } k)
                {
                    _keys[j] = k;
                    _values[j] = _values[i];
                    _index[k] = j;
                    j++;
                }
            }
            Array.Clear(_keys, j, _count - j);
            Array.Clear(_values, j, _count - j);
            _count = j;
            if (_count < _keys.Length) return;
        }
        Array.Resize(ref _keys, _keys.Length * 2);
        Array.Resize(ref _values, _keys.Length);
    }

    /// <summary>
    /// The dict with suffixed keys folded back into plain ones: a suffixed key whose value
    /// equals every other key of the same base becomes the base key; otherwise its suffixes are
    /// appended to the base, innermost last.
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
            if (TryGetValue(gen, out var genValue) && genValue == value)
            {
                flat.Remove(key, out _);
                continue;
            }
            string newKey;
            if (!mixed.Contains(gen))
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
