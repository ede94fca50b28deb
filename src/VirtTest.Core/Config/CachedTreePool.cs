using System.Runtime.CompilerServices;
using System.Text;

namespace VirtTest.Core.Config;

/// <summary>
/// What the statement blocks of one cached tree have in common, made once for the tree: its
/// strings (file names, keys, label names, filter lines), its labels and the words of its filter
/// lines. A block numbers its strings and labels apart (so that it can be read alone, later), so
/// without this every block read made its own copies: an 'only boot' from the cache reads the
/// filters of hundreds of tests that repeat the same few lines (measured: the strings, labels and
/// label arrays of those copies were about a third of what it allocated).
/// </summary>
/// <remarks>
/// Blocks may be read by several threads (two enumerations of one tree); each block read holds
/// the pool's lock (<see cref="Gate"/>) for its duration. Text that is not pure ASCII is decoded
/// as it is, not pooled (it is rare, and its characters cannot be compared with its bytes one to one).
/// </remarks>
internal sealed class CachedTreePool
{
    // Open addressing, at most three quarters full; a slot's string is compared by length first,
    // then by its characters (no hashes kept beside: they were a third of the table's memory).
    private string?[] _strings = new string?[1024];
    private int _stringCount;

    private Label?[] _labels = new Label?[256];
    private int _labelCount;

    private WordsEntry?[] _words = new WordsEntry?[256];
    private int _wordsCount;

    /// <summary>Held while a block of the tree is read.</summary>
    public object Gate { get; } = new();

    private sealed record WordsEntry(string LineText, Label[][][] Words);

    /// <summary>The string of <paramref name="utf8"/>: one per text.</summary>
    public string String(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == 0) return "";
        if (!AsciiFastText.IsAscii(utf8)) return Encoding.UTF8.GetString(utf8);
        var mask = _strings.Length - 1;
        var i = OrderedStore.Hash(utf8) & mask;
        for (; _strings[i] is { } s; i = (i + 1) & mask)
        {
            if (SameText(s, utf8)) return s;
        }
        var made = Encoding.Latin1.GetString(utf8);
        _strings[i] = made;
        if (++_stringCount * 4 > _strings.Length * 3) _strings = Regrown(_strings, static s => OrderedStore.Hash(s));
        return made;
    }

    /// <summary>The label with this name and block name: one per pair of (pooled) strings.</summary>
    public Label Label(string name, string? varName)
    {
        var mask = _labels.Length - 1;
        var i = LabelHash(name, varName) & mask;
        for (; _labels[i] is { } l; i = (i + 1) & mask)
        {
            if (ReferenceEquals(l.Name, name) && ReferenceEquals(l.VarName, varName)) return l;
        }
        var made = new Label(name, varName);
        _labels[i] = made;
        if (++_labelCount * 2 > _labels.Length) _labels = Regrown(_labels, static l => LabelHash(l.Name, l.VarName));
        return made;
    }

    /// <summary>
    /// The words of a filter line read before, if the line had exactly these words: the labels of
    /// <paramref name="flat"/> in order, grouped by <paramref name="shape"/> (per word its number
    /// of blocks, then per block its number of labels).
    /// </summary>
    public bool TryGetWords(string lineText, ReadOnlySpan<int> shape, ReadOnlySpan<Label> flat, out Label[][][] words)
    {
        var mask = _words.Length - 1;
        for (var i = RuntimeHelpers.GetHashCode(lineText) & mask; _words[i] is { } e; i = (i + 1) & mask)
        {
            if (ReferenceEquals(e.LineText, lineText) && Same(e.Words, shape, flat))
            {
                words = e.Words;
                return true;
            }
        }
        words = null!;
        return false;
    }

    /// <summary>Remembers the words of a filter line (the first words seen for a line text are kept).</summary>
    public void AddWords(string lineText, Label[][][] words)
    {
        var mask = _words.Length - 1;
        var i = RuntimeHelpers.GetHashCode(lineText) & mask;
        for (; _words[i] is { } e; i = (i + 1) & mask)
        {
            if (ReferenceEquals(e.LineText, lineText)) return;
        }
        _words[i] = new WordsEntry(lineText, words);
        if (++_wordsCount * 2 > _words.Length) _words = Regrown(_words, static e => RuntimeHelpers.GetHashCode(e.LineText));
    }

    /// <summary>A label's place in the table: by the identity of its (pooled) strings.</summary>
    private static int LabelHash(string name, string? varName) =>
        RuntimeHelpers.GetHashCode(name) * 31 + (varName is null ? 0 : RuntimeHelpers.GetHashCode(varName));

    private static bool Same(Label[][][] words, ReadOnlySpan<int> shape, ReadOnlySpan<Label> flat)
    {
        if (shape.Length == 0 || shape[0] != words.Length) return false;
        var s = 1;
        var f = 0;
        foreach (var word in words)
        {
            if (s >= shape.Length || shape[s++] != word.Length) return false;
            foreach (var block in word)
            {
                if (s >= shape.Length || shape[s++] != block.Length) return false;
                foreach (var label in block)
                {
                    if (f >= flat.Length || !ReferenceEquals(flat[f++], label)) return false;
                }
            }
        }
        return s == shape.Length && f == flat.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SameText(string s, ReadOnlySpan<byte> ascii)
    {
        if (s.Length != ascii.Length) return false;
        for (var i = 0; i < ascii.Length; i++)
        {
            if (s[i] != ascii[i]) return false;
        }
        return true;
    }

    private static T?[] Regrown<T>(T?[] old, Func<T, int> hashOf) where T : class
    {
        var table = new T?[old.Length * 2];
        var mask = table.Length - 1;
        foreach (var e in old)
        {
            if (e is null) continue;
            var i = hashOf(e) & mask;
            while (table[i] is not null) i = (i + 1) & mask;
            table[i] = e;
        }
        return table;
    }
}
