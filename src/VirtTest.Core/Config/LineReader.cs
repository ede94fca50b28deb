namespace VirtTest.Core.Config;

/// <summary>
/// The significant lines of one file or string (comments and blank lines dropped), with their
/// indentation, handed out one block at a time: a line belongs to the current block while it
/// is indented deeper than the block's opener.
/// </summary>
/// <remarks>
/// A line is a place in <see cref="Text"/> (start and length of its text past the indentation),
/// not a string of its own: most lines are assignments whose name and value are all the parser
/// keeps, so copying each line first would only make garbage. Lines are kept in an array of
/// <see cref="SourceLine"/>, a struct of this assembly: the framework's generic code over tuples
/// is not precompiled (ReadyToRun) and would be compiled at run time on every first parse.
/// </remarks>
internal sealed class LineReader
{
    private SourceLine[] _lines;
    private int _count;
    private int _next;
    private SourceLine _stored;
    private bool _hasStored;

    public LineReader(string text, string fileName, bool isFile)
    {
        Text = text;
        FileName = fileName;
        IsFile = isFile;
        // Lines as str.splitlines() cuts them; none for blank and comment lines.
        // Config lines average some 40 characters, indentation included: room for most files at once.
        _lines = new SourceLine[text.Length / 32 + 16];
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

    /// <summary>The whole text the lines are places in.</summary>
    public string Text { get; }
    public string FileName { get; }
    /// <summary>Whether relative includes resolve against the file's folder.</summary>
    public bool IsFile { get; }

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
        for (var i = start; i < end; i++)
        {
            if (text[i] != '\t') continue;
            // Tabs count to the next multiple of 8 columns, as the reference expands them: such a
            // line gets a string of its own.
            var line = PyText.ExpandTabs(text.Substring(start, end - start));
            var stripped = PyText.LStrip(line);
            Add(new SourceLine(0, stripped.Length, line.Length - stripped.Length, number, stripped));
            return;
        }
        Add(new SourceLine(first, end - first, first - start, number, null));
    }

    /// <summary>The next line if it is indented deeper than <paramref name="prevIndent"/>; otherwise the end of the block (and the line stays).</summary>
    public SourceLine Next(int prevIndent)
    {
        if (_hasStored)
        {
            _hasStored = false;
            return _stored;
        }
        if (_next >= _count) return SourceLine.EndOfBlock(-1, -1);
        var l = _lines[_next];
        if (l.Indent <= prevIndent) return SourceLine.EndOfBlock(l.Indent, l.Number);
        _next++;
        return l;
    }

    /// <summary>Puts back the rest of an inline block opener (<c>filter: key = value</c>) as the block's first line.</summary>
    public void PushBack(string text, int indent, int number)
    {
        text = PyText.Strip(text);
        if (text.Length == 0) return;
        _stored = new SourceLine(0, text.Length, indent, number, text);
        _hasStored = true;
    }
}

/// <summary>
/// A significant line: where its text (past the indentation) stands in the reader's text, or
/// its own string (<see cref="Own"/>) when it had tabs or was put back; its indentation and line
/// number. A negative <see cref="Length"/> marks the end of a block.
/// </summary>
internal readonly record struct SourceLine(int Start, int Length, int Indent, int Number, string? Own)
{
    public bool IsEndOfBlock => Length < 0;

    public static SourceLine EndOfBlock(int indent, int number) => new(0, -1, indent, number, null);

    /// <summary>The line's text in <paramref name="text"/> (the reader's).</summary>
    public ReadOnlySpan<char> In(string text) => Own is not null ? Own.AsSpan() : text.AsSpan(Start, Length);

    public string ToString(string text) => Own ?? text.Substring(Start, Length);
}
