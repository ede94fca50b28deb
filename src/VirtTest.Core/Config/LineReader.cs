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

    public LineReader(string text, string fileName, bool isFile)
    {
        FileName = fileName;
        IsFile = isFile;
        var number = 0;
        foreach (var raw in PyText.SplitLines(text))
        {
            number++;
            var line = PyText.ExpandTabs(PyText.RStrip(raw));
            var stripped = PyText.LStrip(line);
            if (stripped.Length == 0 || stripped.StartsWith('#') || stripped.StartsWith("//", StringComparison.Ordinal)) continue;
            _lines.Add((stripped, line.Length - stripped.Length, number));
        }
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
