using System.Runtime.CompilerServices;

namespace VirtTest.Core.Config;

/// <summary>
/// The significant lines of one file or string (comments and blank lines dropped), with their
/// indentation, handed out one block at a time: a line belongs to the current block while it
/// is indented deeper than the block's opener.
/// </summary>
/// <remarks>
/// A line is a place in <see cref="Text"/> (start and length of its text past the indentation),
/// not a string of its own: most lines are assignments whose name and value are all the parser
/// keeps, so copying each line first would only make garbage. Lines are found as the parser asks
/// for them (one line looked at ahead), not split all at once into an array.
/// </remarks>
internal sealed class LineReader
{
    private readonly SourceText _text;
    private int _pos;           // where the next line not yet looked at starts
    private int _number;        // the number of the last line looked at
    private SourceLine _ahead;  // the next significant line, once looked at
    private bool _hasAhead;
    private SourceLine _stored;
    private bool _hasStored;

    public LineReader(SourceText text, string fileName, bool isFile)
    {
        _text = text;
        FileName = fileName;
        IsFile = isFile;
    }

    /// <summary>The whole text the lines are places in.</summary>
    public SourceText Text => _text;
    public string FileName { get; }
    /// <summary>Whether relative includes resolve against the file's folder.</summary>
    public bool IsFile { get; }

    /// <summary>
    /// Looks at lines (as str.splitlines() cuts them) from the current place on until a
    /// significant one (not blank, not a comment); false at the end of the text. One pass over
    /// each line finds its end, its first and last characters that are not white space and
    /// whether it has a tab; the lines are never all held at once. A line found here stays
    /// readable in the text's window until the next look ahead, which may move the window: by
    /// then the parser is done with it (it keeps strings, not places).
    /// </summary>
    private bool LookAhead(out SourceLine line)
    {
        var text = _text.Span;
        var pos = _pos;
        while (true)
        {
            if (pos >= text.Length)
            {
                if (!_text.ReadMore(pos))
                {
                    _pos = _text.Length;   // the end (a file's window is empty by now)
                    line = default;
                    return false;
                }
                pos = 0;
                text = _text.Span;
                continue;
            }
            var start = pos;
            var first = -1;
            var last = -1;
            var firstTab = -1;
            var i = start;
            for (; i < text.Length; i++)
            {
                var c = text[i];
                if (c > ' ' && c < '\x7f')
                {
                    // Printable ASCII, most of any config.
                    if (first < 0) first = i;
                    last = i;
                    continue;
                }
                if (c == ' ') continue;
                if (PyText.IsLineBreak(c)) break;
                if (c == '\t' && firstTab < 0) firstTab = i;
                if (PyText.IsSpace(c)) continue;
                if (first < 0) first = i;
                last = i;
            }
            if (!_text.AtEnd && (i == text.Length || (text[i] == '\r' && i + 1 == text.Length)))
            {
                // The line (or its \r\n) may go on past the window: the window moves to the
                // line's start, takes in more of the file, and the line is read again.
                _text.ReadMore(start);
                pos = 0;
                text = _text.Span;
                continue;
            }
            _number++;
            pos = i < text.Length ? i + 1 : i;
            if (i < text.Length && text[i] == '\r' && pos < text.Length && text[pos] == '\n') pos++;
            if (first < 0) continue;   // blank
            var c0 = text[first];
            if (c0 == '#' || (c0 == '/' && first < last && text[first + 1] == '/')) continue;
            _pos = pos;
            if (firstTab >= 0 && firstTab < last)
            {
                // Tabs (before the trailing white space) count to the next multiple of 8 columns,
                // as the reference expands them: such a line gets a string of its own.
                var expanded = PyText.ExpandTabs(text.Slice(start, last + 1 - start).ToString());
                var stripped = PyText.LStrip(expanded);
                line = new SourceLine(0, stripped.Length, expanded.Length - stripped.Length, _number, stripped);
                return true;
            }
            line = new SourceLine(first, last + 1 - first, first - start, _number, null);
            return true;
        }
    }

    /// <summary>The next line if it is indented deeper than <paramref name="prevIndent"/>; otherwise the end of the block (and the line stays).</summary>
    public SourceLine Next(int prevIndent)
    {
        if (_hasStored)
        {
            _hasStored = false;
            return _stored;
        }
        if (!_hasAhead)
        {
            if (!LookAhead(out _ahead)) return SourceLine.EndOfBlock(-1, -1);
            _hasAhead = true;
        }
        if (_ahead.Indent <= prevIndent) return SourceLine.EndOfBlock(_ahead.Indent, _ahead.Number);
        _hasAhead = false;
        return _ahead;
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<char> In(SourceText text) => Own is not null ? Own.AsSpan() : text.Span.Slice(Start, Length);

    public string ToString(SourceText text) => Own ?? text.Span.Slice(Start, Length).ToString();
}
