namespace VirtTest.Core.Config;

/// <summary>
/// The significant lines of one file or string (comments and blank lines dropped), with their
/// indentation, handed out one block at a time: a line belongs to the current block while it
/// is indented deeper than the block's opener.
/// </summary>
internal sealed class LineReader
{
    private readonly List<(string Text, int Indent, int Number)> _lines = new();
    private int _next;
    private (string Text, int Indent, int Number)? _stored;

    private static readonly System.Buffers.SearchValues<char> LineBreaks =
        System.Buffers.SearchValues.Create("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029");

    public LineReader(string text, string fileName, bool isFile)
    {
        FileName = fileName;
        IsFile = isFile;
        // Lines as str.splitlines() cuts them; one string per significant line, none for
        // blank and comment lines.
        _lines.Capacity = text.Length / 48 + 16;
        var number = 0;
        var start = 0;
        var span = text.AsSpan();
        while (start < text.Length)
        {
            var len = span.Slice(start).IndexOfAny(LineBreaks);
            var end = len < 0 ? text.Length : start + len;
            number++;
            AddLine(text, start, end, number);
            if (len < 0) break;
            start = end + 1;
            if (text[end] == '\r' && start < text.Length && text[start] == '\n') start++;
        }
    }

    private void AddLine(string text, int start, int end, int number)
    {
        while (end > start && PyText.IsSpace(text[end - 1])) end--;
        var first = start;
        while (first < end && PyText.IsSpace(text[first])) first++;
        if (first == end) return;
        var c = text[first];
        if (c == '#' || (c == '/' && first + 1 < end && text[first + 1] == '/')) return;
        if (text.AsSpan(start, end - start).IndexOf('\t') >= 0)
        {
            // Tabs count to the next multiple of 8 columns, as the reference expands them.
            var line = PyText.ExpandTabs(text.Substring(start, end - start));
            var stripped = PyText.LStrip(line);
            _lines.Add((stripped, line.Length - stripped.Length, number));
            return;
        }
        _lines.Add((text.Substring(first, end - first), first - start, number));
    }

    public string FileName { get; }
    /// <summary>Whether relative includes resolve against the file's folder.</summary>
    public bool IsFile { get; }

    /// <summary>The next line if it is indented deeper than <paramref name="prevIndent"/>; otherwise null and the line stays.</summary>
    public (string? Text, int Indent, int Number) Next(int prevIndent)
    {
        if (_stored is { } s)
        {
            _stored = null;
            return s;
        }
        if (_next >= _lines.Count) return (null, -1, -1);
        var l = _lines[_next];
        if (l.Indent <= prevIndent) return (null, l.Indent, l.Number);
        _next++;
        return l;
    }

    /// <summary>Puts back the rest of an inline block opener (<c>filter: key = value</c>) as the block's first line.</summary>
    public void PushBack(string text, int indent, int number)
    {
        text = PyText.Strip(text);
        if (text.Length > 0) _stored = (text, indent, number);
    }
}
