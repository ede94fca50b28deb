namespace VirtTest.Core.Config;

/// <summary>
/// One string per key name of a parse, found from the name's characters in a line without
/// cutting them out first (most names repeat thousands of times), with what every plain
/// assignment to the key needs worked out once: its hash and whether it is reserved, a tuple
/// key or a postfix (<c>_max</c>, <c>_min</c>...) key.
/// </summary>
internal sealed class KeyNamePool
{
    private KeyName?[] _table = new KeyName?[1024];
    private int _count;

    public KeyName Get(string name) => Get(name.AsSpan(), name);

    public KeyName Get(ReadOnlySpan<char> name) => Get(name, null);

    private KeyName Get(ReadOnlySpan<char> name, string? asString)
    {
        var hash = OrderedStore.Hash(name);
        var mask = _table.Length - 1;
        for (var i = hash & mask; ; i = (i + 1) & mask)
        {
            var e = _table[i];
            if (e is null)
            {
                e = new KeyName(asString ?? name.ToString(), hash);
                _table[i] = e;
                if (++_count * 2 > _table.Length) Grow();
                return e;
            }
            if (e.Hash == hash && SameText(e.Name, name)) return e;
        }
    }

    internal static bool SameText(string a, ReadOnlySpan<char> b)
    {
        if (a.Length != b.Length) return false;
        for (var i = 0; i < b.Length; i++)
        {
            if (a[i] != b[i]) return false;
        }
        return true;
    }

    private void Grow()
    {
        var old = _table;
        _table = new KeyName?[old.Length * 2];
        var mask = _table.Length - 1;
        foreach (var e in old)
        {
            if (e is null) continue;
            var i = e.Hash & mask;
            while (_table[i] is not null) i = (i + 1) & mask;
            _table[i] = e;
        }
    }
}

/// <summary>A key name as the parser keeps it (see <see cref="KeyNamePool"/>).</summary>
internal sealed class KeyName
{
    public KeyName(string name, int hash)
    {
        Name = name;
        Hash = hash;
        Reserved = WorkingDict.IsReserved(name);
        Plain = !WorkingDict.IsTuple(name);
        Postfix = WorkingDict.IsPostfixKey(name);
    }

    public string Name { get; }
    /// <summary><see cref="OrderedStore.Hash(string)"/> of the name.</summary>
    public int Hash { get; }
    public bool Reserved { get; }
    /// <summary>Not a tuple key (a key a suffix renamed).</summary>
    public bool Plain { get; }
    public bool Postfix { get; }
}
