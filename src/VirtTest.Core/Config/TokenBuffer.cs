namespace VirtTest.Core.Config;

/// <summary>
/// A reusable list of tokens for the parser's line-by-line work. The framework's
/// <c>List&lt;Token&gt;</c> over this assembly's struct cannot be precompiled (ReadyToRun) and is
/// compiled at run time, slowly at first; this one is compiled with the rest of the assembly.
/// </summary>
internal sealed class TokenBuffer : IReadOnlyList<Token>
{
    private Token[] _items = new Token[16];

    public int Count { get; private set; }

    public Token this[int index] => (uint)index < (uint)Count ? _items[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public void Clear() => Count = 0;

    public void Add(Token token)
    {
        if (Count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
        _items[Count++] = token;
    }

    public IEnumerator<Token> GetEnumerator()
    {
        for (var i = 0; i < Count; i++) yield return _items[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
