namespace VirtTest.Core.Config;

/// <summary>
/// Filter lines parsed before in this parse (<c>only Linux</c>, <c>Windows:</c>, <c>!Host_RHEL:</c>),
/// found again by their text without tokenizing it: real trees repeat a few hundred such lines
/// thousands of times, and each time made the line's string, its tokens and the filter's label
/// arrays (measured: about a fifth of what a cold parse of the real-tree-shaped tree allocated).
/// Only lines that parsed without error are kept, so a wrong line is always parsed, and reported,
/// where it stands. The parsed filter is immutable and shared by every statement made from it.
/// </summary>
internal sealed class FilterLineMemo
{
    /// <summary>A remembered line: its text, what kind of statement it is and its filter.</summary>
    public sealed record Entry(string Line, int Hash, FilterKind Kind, Label[][][] Words);

    private Entry?[] _table = new Entry?[256];
    private int _count;

    public bool TryGet(ReadOnlySpan<char> line, out Entry entry)
    {
        var hash = OrderedStore.Hash(line);
        var mask = _table.Length - 1;
        for (var i = hash & mask; ; i = (i + 1) & mask)
        {
            var e = _table[i];
            if (e is null) break;
            if (e.Hash == hash && KeyNamePool.SameText(e.Line, line)) { entry = e; return true; }
        }
        entry = null!;
        return false;
    }

    /// <summary>Remembers a line that was read whole as one filter statement of <paramref name="kind"/>.</summary>
    public void Add(string line, FilterKind kind, Label[][][] words)
    {
        if (TryGet(line, out _)) return;
        Insert(_table, new Entry(line, OrderedStore.Hash(line), kind, words));
        if (++_count * 2 > _table.Length)
        {
            var old = _table;
            _table = new Entry?[old.Length * 2];
            foreach (var e in old)
            {
                if (e is not null) Insert(_table, e);
            }
        }
    }

    private static void Insert(Entry?[] table, Entry e)
    {
        var mask = table.Length - 1;
        var i = e.Hash & mask;
        while (table[i] is not null) i = (i + 1) & mask;
        table[i] = e;
    }
}
