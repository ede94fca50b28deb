using System.Text;

namespace VirtTest.Core.Config;

/// <summary>
/// A list of tokens: the lexer's and parser's only token collection. The framework's
/// <c>List&lt;Token&gt;</c> (and LINQ over it) is generic code over this assembly's struct that
/// ReadyToRun cannot precompile, so every first parse of a session compiled some 60 such methods
/// at run time; this one is precompiled with the rest of the assembly.
/// </summary>
internal sealed class TokenBuffer
{
    private Token[] _items;

    public TokenBuffer(int capacity = 8) => _items = new Token[Math.Max(capacity, 1)];

    /// <summary>A list holding one token.</summary>
    public TokenBuffer(Token first) : this() => Add(first);

    public int Count { get; private set; }

    public Token this[int index] => (uint)index < (uint)Count ? _items[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public void Clear() => Count = 0;

    public void Add(Token token)
    {
        if (Count == _items.Length) _items = ArrayGrowth.Doubled(_items, Count);
        _items[Count++] = token;
    }

    /// <summary>Appends the first <paramref name="count"/> tokens of <paramref name="other"/> (all when negative).</summary>
    public void AddRange(TokenBuffer other, int count = -1)
    {
        if (count < 0) count = other.Count;
        for (var i = 0; i < count; i++) Add(other._items[i]);
    }

    /// <summary>Drops the last token.</summary>
    public void RemoveLast()
    {
        if (Count == 0) throw new InvalidOperationException("no token to remove");
        Count--;
    }

    /// <summary>The first <paramref name="count"/> tokens (all when negative) as they stand in the source, joined.</summary>
    public string SourceText(int count = -1)
    {
        if (count < 0) count = Count;
        if (count == 1) return _items[0].SourceText;
        var text = new StringBuilder();
        for (var i = 0; i < count; i++) text.Append(_items[i].SourceText);
        return text.ToString();
    }
}
