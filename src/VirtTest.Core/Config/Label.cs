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
    /// <summary>Hashes of the names (<see cref="OrderedStore.Hash(string)"/>), to tell most names apart at once.</summary>
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

/// <summary>
/// An immutable set of labels answering the same one-sided membership question: the labels found
/// below a node. Every variant of a block sees everything parsed before the block below it, so a
/// set is kept as its own labels on top of that shared set (<see cref="_below"/>) instead of a
/// copy of it; chains are flattened once they get deep, so a lookup touches a few tables at most.
/// </summary>
internal sealed class LabelSet
{
    private const int MaxDepth = 6;

    public static readonly LabelSet Empty = new(null, Array.Empty<string>(), Array.Empty<string>());

    private readonly LabelSet? _below;
    private readonly int _depth;
    // Own labels only, each once. Arrays, not hash sets: a parse makes a set per variants block
    // (thousands on a real tree) and looks them up through the tables below; the sets' own
    // tables were a tenth of what a cold parse allocated.
    private readonly string[] _names;
    private readonly string[] _longNames;
    // Made on the first lookup: a tree from the parse cache has hundreds of sets, and a filtered
    // expansion looks into few of them (the tables were a quarter of what reading the tree allocated).
    private StringTable? _nameTable;
    private StringTable? _longNameTable;
    private LabelSet? _flat;

    private LabelSet(LabelSet? below, string[] names, string[] longNames)
    {
        _below = below;
        _depth = below is null ? 0 : below._depth + 1;
        _names = names;
        _longNames = longNames;
    }

    // Two threads may both make a table; either one is the same table.
    private StringTable NameTable => _nameTable ??= new StringTable(_names);
    private StringTable LongNameTable => _longNameTable ??= new StringTable(_longNames);

    /// <summary>
    /// The labels of a variants block: <paramref name="below"/> (what every variant's body started
    /// from), the labels each variant added on top of it, and the variants' own names.
    /// </summary>
    public static LabelSet Union(LabelSet below, IEnumerable<LabelSet> variants, IEnumerable<Label> names) =>
        Union(below, variants.ToArray(), new[] { names.ToArray() });

    /// <summary>As <see cref="Union(LabelSet, IEnumerable{LabelSet}, IEnumerable{Label})"/>, with each variant's names (what the parser has at hand).</summary>
    public static LabelSet Union(LabelSet below, LabelSet[] variants, Label[][] names)
    {
        // Room for every label once: the sum of what is gathered bounds the distinct ones, and
        // growing step by step to a big block's thousand names allocated its tables twice over.
        var room = 0;
        foreach (var v in variants)
        {
            for (var s = v; s is not null && !ReferenceEquals(s, below) && !ReferenceEquals(s, below._flat); s = s._below) room += s._names.Length;
        }
        foreach (var n in names) room += n.Length;
        var own = new DistinctStrings(room);
        var ownLong = new DistinctStrings(room);
        foreach (var v in variants)
        {
            for (var s = v; !ReferenceEquals(s, below) && !ReferenceEquals(s, below._flat); s = s._below)
            {
                if (s is null)
                {
                    // Not built on the block's base (cannot happen with the parser's trees): take it whole.
                    v.AddAllTo(ref own, ref ownLong);
                    break;
                }
                own.AddRange(s._names);
                ownLong.AddRange(s._longNames);
            }
        }
        foreach (var variantNames in names)
        {
            foreach (var l in variantNames)
            {
                own.Add(l.Name);
                ownLong.Add(l.LongName);
            }
        }
        if (ReferenceEquals(below, Empty)) return new LabelSet(null, own.ToArray(), ownLong.ToArray());
        return new LabelSet(below._depth + 1 >= MaxDepth ? below.Flat() : below, own.ToArray(), ownLong.ToArray());
    }

    // ---- for the parse cache ----
    internal LabelSet? Below => _below;
    internal IReadOnlyCollection<string> OwnNames => _names;
    internal IReadOnlyCollection<string> OwnLongNames => _longNames;
    /// <summary>A set read back from the parse cache (the names were written distinct, from a set).</summary>
    internal static LabelSet Restore(LabelSet? below, string[] names, string[] longNames) =>
        below is null && names.Length == 0 && longNames.Length == 0 ? Empty : new LabelSet(below, names, longNames);

    private void AddAllTo(ref DistinctStrings names, ref DistinctStrings longNames)
    {
        for (var s = this; s is not null; s = s._below)
        {
            names.AddRange(s._names);
            longNames.AddRange(s._longNames);
        }
    }

    /// <summary>The same set as one table (made once).</summary>
    private LabelSet Flat()
    {
        if (_below is null) return this;
        if (_flat is null)
        {
            var names = new DistinctStrings();
            var longNames = new DistinctStrings();
            AddAllTo(ref names, ref longNames);
            _flat = new LabelSet(null, names.ToArray(), longNames.ToArray());
        }
        return _flat;
    }

    /// <summary>Strings gathered once each, in the order first added: by looking through them while few, through a hash set once many.</summary>
    private struct DistinctStrings
    {
        private const int LookThroughMax = 16;
        private readonly int _room;
        private string[]? _items;
        private int _count;
        private HashSet<string>? _seen;

        /// <summary>With room for <paramref name="room"/> strings made at once (more grow as needed).</summary>
        public DistinctStrings(int room)
        {
            _room = room;
            _items = room > 0 ? new string[room] : null;
            _count = 0;
            _seen = null;
        }

        public void AddRange(string[] items)
        {
            foreach (var item in items) Add(item);
        }

        public void Add(string item)
        {
            if (_seen is not null)
            {
                if (!_seen.Add(item)) return;
            }
            else
            {
                for (var i = 0; i < _count; i++)
                {
                    if (_items![i] == item) return;
                }
            }
            if (_items is null) _items = new string[4];
            else if (_count == _items.Length) _items = ArrayGrowth.Doubled(_items, _count);
            _items[_count++] = item;
            if (_seen is null && _count > LookThroughMax)
            {
                _seen = new HashSet<string>(Math.Max(_room, _count), StringComparer.Ordinal);
                for (var i = 0; i < _count; i++) _seen.Add(_items[i]);
            }
        }

        public readonly string[] ToArray()
        {
            if (_count == 0) return Array.Empty<string>();
            if (_count == _items!.Length) return _items;
            var exact = new string[_count];
            Array.Copy(_items, exact, _count);
            return exact;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(Label filterLabel)
    {
        for (var s = this; s is not null; s = s._below)
        {
            if (filterLabel.VarName is null
                    ? s.NameTable.Contains(filterLabel.Name, filterLabel.NameHash)
                    : s.LongNameTable.Contains(filterLabel.LongName, filterLabel.LongNameHash))
                return true;
        }
        return false;
    }

    /// <summary>A fixed set of strings looked up by a hash the caller already has.</summary>
    private sealed class StringTable
    {
        // No hashes kept beside the strings: a slot's string is compared as it is (length first),
        // and the tables of a big tree's sets cost a third less.
        private readonly string?[] _slots;

        public StringTable(string[] items)
        {
            var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(4, items.Length * 2));
            _slots = new string?[size];
            foreach (var item in items)
            {
                var i = OrderedStore.Hash(item) & (size - 1);
                while (_slots[i] is not null) i = (i + 1) & (size - 1);
                _slots[i] = item;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Contains(string item, int hash)
        {
            var mask = _slots.Length - 1;
            var i = hash & mask;
            while (_slots[i] is { } s)
            {
                if (ReferenceEquals(s, item) || s == item) return true;
                i = (i + 1) & mask;
            }
            return false;
        }
    }
}
