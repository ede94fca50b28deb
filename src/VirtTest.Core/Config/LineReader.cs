namespace VirtTest.Core.Config;

/// <summary>
/// The significant lines of one file or string (comments and blank lines dropped), with their
/// indentation, handed out one block at a time: a line belongs to the current block while it
/// is indented deeper than the block's opener.
/// </summary>
/// <remarks>
/// Lines are kept in an array of <see cref="SourceLine"/>, a struct of this assembly, rather than
/// a list of tuples: the framework's generic code over tuples is not precompiled (ReadyToRun)
/// and would be compiled at run time on every first parse of a session.
/// </remarks>
internal sealed class LineReader
{
    private SourceLine[] _lines;
    private int _count;
    private int _next;
    private SourceLine? _stored;

    public LineReader(string text, string fileName, bool isFile)
    {
        FileName = fileName;
        IsFile = isFile;
        // Lines as str.splitlines() cuts them; one string per significant line, none for
        // blank and comment lines.
        _lines = new SourceLine[text.Length / 48 + 16];
        var number = 0;
        var start = 0;
        var span = text.AsSpan();
        while (start < text.Length)
        {
            var len = IndexOfLineBreak(span.Slice(start));
            var end = len < 0 ? text.Length : start + len;
            number++;
            AddLine(text, start, end, number);
            if (len < 0) break;
            start = end + 1;
            if (text[end] == '\r' && start < text.Length && text[start] == '\n') start++;
        }
    }

    /// <summary>The first of the characters str.splitlines() cuts at, or -1.</summary>
    private static int IndexOfLineBreak(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c - 0x20u < 0x65u) continue;   // ' ' to '\x84': most characters, none of them a break
            if (c > '\x1e' ? c is '\x85' or '\u2028' or '\u2029' : c is '\n' or '\r' or '\x0b' or '\x0c' or '\x1c' or '\x1d' or '\x1e') return i;
        }
        return -1;
    }

    private void Add(SourceLine line)
    {
        if (_count == _lines.Length) _lines = ArrayGrowth.Doubled(_lines, _count);
        _lines[_count++] = line;
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
            Add(new SourceLine(stripped, line.Length - stripped.Length, number));
            return;
        }
        Add(new SourceLine(text.Substring(first, end - first), first - start, number));
    }

    public string FileName { get; }
    /// <summary>Whether relative includes resolve against the file's folder.</summary>
    public bool IsFile { get; }

    /// <summary>The next line if it is indented deeper than <paramref name="prevIndent"/>; otherwise null and the line stays.</summary>
    public SourceLine Next(int prevIndent)
    {
        if (_stored is { } s)
        {
            _stored = null;
            return s;
        }
        if (_next >= _count) return new SourceLine(null, -1, -1);
        var l = _lines[_next];
        if (l.Indent <= prevIndent) return new SourceLine(null, l.Indent, l.Number);
        _next++;
        return l;
    }

    /// <summary>Puts back the rest of an inline block opener (<c>filter: key = value</c>) as the block's first line.</summary>
    public void PushBack(string text, int indent, int number)
    {
        text = PyText.Strip(text);
        if (text.Length > 0) _stored = new SourceLine(text, indent, number);
    }
}

/// <summary>A significant line: its text (null past the end of a block), indentation and line number.</summary>
internal readonly record struct SourceLine(string? Text, int Indent, int Number);
