using System.Runtime.CompilerServices;

namespace VirtTest.Core.Config;

/// <summary>
/// One component of a variant's full name: a plain name (<c>qcow2</c>) or a named-block value
/// (<c>(image_format=qcow2)</c>).
/// </summary>
internal sealed class Label
{
    public Label(string name, string? varName = null)
    {
        Name = name;
        VarName = varName;
        LongName = varName is null ? name : "(" + varName + "=" + name + ")";
        NameHash = OrderedStore.Hash(Name);
        LongNameHash = varName is null ? NameHash : OrderedStore.Hash(LongName);
    }

    public string Name { get; }
    public string? VarName { get; }
    public string LongName { get; }
    /// <summary>Hashes of the names (<see cref="OrderedStore.Hash"/>), to tell most names apart at once.</summary>
    public readonly int NameHash;
    public readonly int LongNameHash;

    /// <summary>
    /// Whether a name component in a context (<paramref name="candidate"/>) satisfies this filter
    /// label. The relation is deliberately one-sided: a plain filter label matches by name alone,
    /// so <c>fedora</c> selects <c>(guest_os=fedora)</c>, but <c>(guest_os=fedora)</c> needs the
    /// full form.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsMatchedBy(Label candidate) =>
        VarName is null
            ? candidate.NameHash == NameHash && candidate.Name == Name
            : candidate.LongNameHash == LongNameHash && candidate.LongName == LongName;

    public override string ToString() => LongName;
}

/// <summary>An immutable set of labels answering the same one-sided membership question.</summary>
internal sealed class LabelSet
{
    public static readonly LabelSet Empty = new(new HashSet<string>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal));

    private readonly HashSet<string> _names;
    private readonly HashSet<string> _longNames;
    private readonly StringTable _nameTable;
    private readonly StringTable _longNameTable;

    private LabelSet(HashSet<string> names, HashSet<string> longNames)
    {
        _names = names;
        _longNames = longNames;
        _nameTable = new StringTable(names);
        _longNameTable = new StringTable(longNames);
    }

    public static LabelSet Union(IEnumerable<LabelSet> sets, IEnumerable<Label> extra)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var longNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in sets)
        {
            names.UnionWith(s._names);
            longNames.UnionWith(s._longNames);
        }
        foreach (var l in extra)
        {
            names.Add(l.Name);
            longNames.Add(l.LongName);
        }
        return new LabelSet(names, longNames);
    }

    public IEnumerable<string> Names => _names;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(Label filterLabel) =>
        filterLabel.VarName is null
            ? _nameTable.Contains(filterLabel.Name, filterLabel.NameHash)
            : _longNameTable.Contains(filterLabel.LongName, filterLabel.LongNameHash);

    /// <summary>A fixed set of strings looked up by a hash the caller already has.</summary>
    private sealed class StringTable
    {
        private readonly string?[] _slots;
        private readonly int[] _hashes;

        public StringTable(IReadOnlyCollection<string> items)
        {
            var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(4, items.Count * 2));
            _slots = new string?[size];
            _hashes = new int[size];
            foreach (var item in items)
            {
                var hash = OrderedStore.Hash(item);
                var i = hash & (size - 1);
                while (_slots[i] is not null) i = (i + 1) & (size - 1);
                _slots[i] = item;
                _hashes[i] = hash;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Contains(string item, int hash)
        {
            var mask = _slots.Length - 1;
            var i = hash & mask;
            while (_slots[i] is { } s)
            {
                if (_hashes[i] == hash && s == item) return true;
                i = (i + 1) & mask;
            }
            return false;
        }
    }
}
