using System.Text;

namespace VirtTest.Core.Config;

/// <summary>
/// Turns the lines of a <see cref="LineReader"/> into tokens, lazily: the parser switches modes
/// (fast assignment lines, strict lines after <c>variants</c>, rest-of-line text) between tokens,
/// and those switches act on the tokens not yet produced.
/// </summary>
internal sealed class Lexer
{
    private static readonly Tok[] EndOfLine = { Tok.EndL };
    private bool _restAsString;

    // The current line's tokens still to hand out: a plain assignment's four (read whole), or
    // the full scan's, produced one at a time because the parser's mode switches act on them.
    private readonly Token[] _assignment = new Token[4];
    private int _assignmentNext = 4;
    private IEnumerator<Token>? _scan;
    // The line's indentation token went out; how to read the rest is decided at the next token.
    private bool _lineOpen;

    public Lexer(LineReader reader)
    {
        Reader = reader;
        _text = reader.Text;
    }

    public LineReader Reader { get; }
    public string FileName => Reader.FileName;

    /// <summary>The name the per-file name maps use: a file's name without its folder (the text's name for a string), made once per file.</summary>
    public string MapFileName => _mapFileName ??= Reader.IsFile ? Path.GetFileName(Reader.FileName) : Reader.FileName;
    private string? _mapFileName;

    private readonly SourceText _text;
    private SourceLine _line = SourceLine.EndOfBlock(-1, -1);
    private string? _lineString;

    /// <summary>The line being tokenized (null between blocks); made a string of its own only when asked for.</summary>
    public string? Line => _line.IsEndOfBlock ? null : _lineString ??= _line.ToString(_text);

    public int LineNumber { get; private set; }
    /// <summary>Lines without a leading keyword whose first operator comes before any colon are assignments, read whole.</summary>
    public bool Fast { get; set; }
    public int PrevIndent { get; set; }

    /// <summary>
    /// The next token. A line starts with its indentation (or the end of the block, by
    /// <see cref="PrevIndent"/> at that moment); the rest of it is read as the modes stand when its
    /// second token is asked for. Hand-written rather than an iterator: this runs once per token.
    /// </summary>
    public Token Next()
    {
        if (_assignmentNext < _assignment.Length) return _assignment[_assignmentNext++];
        if (_scan is not null)
        {
            if (_scan.MoveNext()) return _scan.Current;
            _scan = null;
        }
        if (_lineOpen)
        {
            _lineOpen = false;
            if (PlainAssignment(_line.In(_text)) is { } a)
            {
                // Most lines are plain assignments: name, operator, value, without the full scan.
                var line = _line.In(_text);
                _assignment[1] = new Token(a.Kind);
                _assignment[2] = new Token(Tok.String, line.Slice(a.ValueStart).ToString());
                _assignment[3] = new Token(Tok.EndL);
                _assignmentNext = 1;
                return new Token(Tok.Identifier, line.Slice(0, a.NameEnd).ToString());
            }
            _scan = MatchLine(Line!).GetEnumerator();
            _scan.MoveNext();   // a line always gives at least its end
            return _scan.Current;
        }
        _line = Reader.Next(PrevIndent);
        _lineString = null;
        LineNumber = _line.Number;
        if (_line.IsEndOfBlock) return new Token(Tok.EndBlock, Indent: _line.Indent);
        _lineOpen = true;
        return new Token(Tok.Indent, Indent: _line.Indent);
    }

    /// <summary>Where a plain assignment's parts stand in its line: the name's end, the operator, the value's start.</summary>
    private readonly record struct AssignmentAt(int NameEnd, Tok Kind, int ValueStart);

    /// <summary>
    /// The line as a plain assignment when the fast mode reads it so: no leading keyword, and its
    /// first operator before any colon.
    /// </summary>
    private AssignmentAt? PlainAssignment(ReadOnlySpan<char> line)
    {
        if (!Fast || _restAsString || StartsWithKeyword(line) || FindOperator(line) is not { } o) return null;
        var colon = line.IndexOf(':');
        if (colon >= 0 && colon <= o.End) return null;
        var nameEnd = o.Start;
        while (nameEnd > 0 && PyText.IsSpace(line[nameEnd - 1])) nameEnd--;
        var valueStart = o.End;
        while (valueStart < line.Length && PyText.IsSpace(line[valueStart])) valueStart++;
        return new AssignmentAt(nameEnd, o.Kind, valueStart);
    }

    /// <summary>
    /// Right after a line's indentation token: when the line is a plain assignment (as
    /// <see cref="Next"/> would read it), takes the whole line and gives its name, operator and
    /// value as places in the line, so that the parser need not cut tokens out of it; otherwise
    /// false and nothing is taken.
    /// </summary>
    public bool TryTakeAssignment(out ReadOnlySpan<char> name, out Tok kind, out ReadOnlySpan<char> value)
    {
        if (_lineOpen && _assignmentNext >= _assignment.Length && _scan is null && PlainAssignment(_line.In(_text)) is { } a)
        {
            _lineOpen = false;
            var line = _line.In(_text);
            name = line.Slice(0, a.NameEnd);
            kind = a.Kind;
            value = line.Slice(a.ValueStart);
            return true;
        }
        name = value = default;
        kind = default;
        return false;
    }

    /// <summary>
    /// Right after a line's indentation token: the line's text (no token of it read yet), for
    /// the parser to recognise before tokenizing it; <see cref="TakeLine"/> then takes it whole.
    /// </summary>
    public bool TryPeekLine(out ReadOnlySpan<char> line)
    {
        if (_lineOpen && _assignmentNext >= _assignment.Length && _scan is null)
        {
            line = _line.In(_text);
            return true;
        }
        line = default;
        return false;
    }

    /// <summary>Takes the line <see cref="TryPeekLine"/> gave as read.</summary>
    public void TakeLine() => _lineOpen = false;

    private static bool KeywordAt(string line, string keyword) => line.StartsWith(keyword, StringComparison.Ordinal);

    private static bool KeywordAt(ReadOnlySpan<char> line, string keyword)
    {
        if (line.Length < keyword.Length) return false;
        for (var i = 0; i < keyword.Length; i++)
        {
            if (line[i] != keyword[i]) return false;
        }
        return true;
    }

    /// <summary>Whether <see cref="MatchLine"/> would read a leading keyword (or a variant's '-').</summary>
    private static bool StartsWithKeyword(ReadOnlySpan<char> line) => line[0] switch
    {
        'v' => KeywordAt(line, "variants:") || KeywordAt(line, "variants "),
        '-' => true,
        'o' => KeywordAt(line, "only "),
        'n' => KeywordAt(line, "no "),
        'i' => KeywordAt(line, "include "),
        'd' => KeywordAt(line, "del "),
        's' => KeywordAt(line, "suffix "),
        'j' => KeywordAt(line, "join "),
        _ => false,
    };

    private readonly StringBuilder _chars = new();

    private static int SkipSpace(string line, int pos)
    {
        while (pos < line.Length && PyText.IsSpace(line[pos])) pos++;
        return pos;
    }

    private IEnumerable<Token> MatchLine(string line)
    {
        var pos = 0;
        switch (line[0])
        {
            case 'v' when KeywordAt(line, "variants:"):
                yield return new Token(Tok.Variants);
                yield return new Token(Tok.Colon);
                pos = 9;
                break;
            case 'v' when KeywordAt(line, "variants "):
                yield return new Token(Tok.Variants);
                pos = 8;
                break;
            case '-':
                yield return new Token(Tok.Variant);
                pos = 1;
                break;
            case 'o' when KeywordAt(line, "only "):
                yield return new Token(Tok.Only);
                pos = SkipSpace(line, 4);
                break;
            case 'n' when KeywordAt(line, "no "):
                yield return new Token(Tok.No);
                pos = SkipSpace(line, 2);
                break;
            case 'i' when KeywordAt(line, "include "):
                yield return new Token(Tok.Include);
                pos = 7;
                break;
            case 'd' when KeywordAt(line, "del "):
                yield return new Token(Tok.Del);
                pos = SkipSpace(line, 3);
                break;
            case 's' when KeywordAt(line, "suffix "):
                yield return new Token(Tok.Suffix);
                pos = SkipSpace(line, 6);
                break;
            case 'j' when KeywordAt(line, "join "):
                yield return new Token(Tok.Join);
                pos = SkipSpace(line, 4);
                break;
        }

        var colon = 0;
        OperatorAt? op = null;
        if (Fast && pos == 0)
        {
            colon = line.IndexOf(':');
            op = FindOperator(line);
        }

        var chars = _chars;
        chars.Clear();
        if (_restAsString)
        {
            _restAsString = false;
            yield return new Token(Tok.String, PyText.LStrip(line.Substring(pos)));
        }
        else if (Fast && op is { } o && (colon < 0 || colon > o.End))
        {
            yield return new Token(Tok.Identifier, PyText.RStrip(line.Substring(0, o.Start)));
            yield return new Token(o.Kind);
            yield return new Token(Tok.String, PyText.LStrip(line.Substring(o.End)));
        }
        else
        {
            var oper = "";
            var i = pos;
            while (i < line.Length)
            {
                pos = i;
                var c = line[i++];
                if (PyText.IsAlnum(c) || c is '_' or '-')
                {
                    chars.Append(c);
                    continue;
                }
                if (c is '+' or '<' or '?' or '~')
                {
                    if (chars.Length > 0)
                    {
                        yield return new Token(Tok.Identifier, chars.ToString());
                        oper = "";
                    }
                    chars.Clear();
                    oper += c;
                    continue;
                }
                if (chars.Length > 0)
                {
                    yield return new Token(Tok.Identifier, chars.ToString());
                    chars.Clear();
                }
                if (PyText.IsSpace(c))
                {
                    while (i < line.Length)
                    {
                        pos = i;
                        c = line[i++];
                        if (!PyText.IsSpace(c))
                        {
                            yield return new Token(Tok.White);
                            break;
                        }
                    }
                }
                Token? single = null;
                if (PyText.IsAlnum(c) || c is '_' or '-')
                {
                    chars.Append(c);
                }
                else if (c == '=')
                {
                    var kind = OperatorFor(oper) ?? throw Error(
                        "unexpected character '=' after '" + oper + "' at column " + (pos + 1), pos, "one of = += <= ~= ?= ?+= ?<=");
                    yield return new Token(kind);
                    oper = "";
                }
                else if (Punctuation(c) is { } p)
                {
                    single = new Token(p);
                }
                else if (c == '"')
                {
                    // The text keeps standing in 'chars' afterwards, as in the reference.
                    chars.Clear();
                    if (i >= line.Length) throw Error("unterminated double quote", pos, "a closing \"");
                    pos = i;
                    c = line[i++];
                    while (c != '"')
                    {
                        chars.Append(c);
                        if (i >= line.Length) throw Error("unterminated double quote", pos, "a closing \"");
                        pos = i;
                        c = line[i++];
                    }
                    yield return new Token(Tok.String, chars.ToString());
                }
                else if (c == '#')
                {
                    break;
                }
                else if (c is '+' or '<' or '?' or '~')
                {
                    oper += c;
                }
                else
                {
                    throw Error("unexpected character '" + c + "' at column " + (pos + 1) +
                                "; special characters are allowed only in the value of an assignment", pos,
                        "a name, '.', ',', ':', '(', ')', '[', ']', '@', '!' or an operator");
                }
                if (single is { } s) yield return s;
                if (_restAsString)
                {
                    _restAsString = false;
                    yield return new Token(Tok.String, PyText.LStrip(line.Substring(pos + 1)));
                    break;
                }
            }
        }
        if (chars.Length > 0) yield return new Token(Tok.Identifier, chars.ToString());
        yield return new Token(Tok.EndL);
    }

    private ConfigError Error(string problem, int column, string expected) =>
        new(ConfigErrorKind.Lexer, problem, FileName, LineNumber, Line, column + 1, expected);

    private static Tok? Punctuation(char c) => c switch
    {
        '-' => Tok.Variant,
        '.' => Tok.Dot,
        ':' => Tok.Colon,
        '@' => Tok.Default,
        ',' => Tok.Comma,
        '[' => Tok.LBracket,
        ']' => Tok.RBracket,
        '(' => Tok.LParen,
        ')' => Tok.RParen,
        '!' => Tok.NotCond,
        _ => null,
    };

    private static Tok? OperatorFor(string prefix) => prefix switch
    {
        "" => Tok.Set,
        "~" => Tok.LazySet,
        "+" => Tok.Append,
        "<" => Tok.Prepend,
        "?" => Tok.RegexSet,
        "?+" => Tok.RegexAppend,
        "?<" => Tok.RegexPrepend,
        _ => null,
    };

    /// <summary>The leftmost assignment operator of a line.</summary>
    /// <summary>Where an operator stands in a line (a type of this assembly: precompiled, unlike a tuple's generic code).</summary>
    private readonly record struct OperatorAt(int Start, int End, Tok Kind);

    private static OperatorAt? FindOperator(ReadOnlySpan<char> line)
    {
        for (var p = 0; p < line.Length; p++)
        {
            var c = line[p];
            // Most characters start no operator: only then look at the next two.
            if (c != '=' && c is not ('+' or '<' or '~' or '?')) continue;
            var n1 = p + 1 < line.Length ? line[p + 1] : '\0';
            var n2 = p + 2 < line.Length ? line[p + 2] : '\0';
            switch (c)
            {
                case '=': return new OperatorAt(p, p + 1, Tok.Set);
                case '+' when n1 == '=': return new OperatorAt(p, p + 2, Tok.Append);
                case '<' when n1 == '=': return new OperatorAt(p, p + 2, Tok.Prepend);
                case '~' when n1 == '=': return new OperatorAt(p, p + 2, Tok.LazySet);
                case '?' when n1 == '=': return new OperatorAt(p, p + 2, Tok.RegexSet);
                case '?' when n1 == '+' && n2 == '=': return new OperatorAt(p, p + 3, Tok.RegexAppend);
                case '?' when n1 == '<' && n2 == '=': return new OperatorAt(p, p + 3, Tok.RegexPrepend);
            }
        }
        return null;
    }

    // ---- reading helpers used by the parser ----

    public ConfigError ParseError(string problem, string? expected = null) =>
        new(ConfigErrorKind.Parser, problem, FileName, LineNumber, Line, expected: expected);

    /// <summary>Tokens up to and including the first whose kind is in <paramref name="end"/>.</summary>
    public TokenBuffer Until(Tok[] end, bool dropWhite = false) => UntilInto(new TokenBuffer(), end, dropWhite);

    /// <summary><see cref="Until"/> into a list the caller reuses (cleared first).</summary>
    public TokenBuffer UntilInto(TokenBuffer list, Tok[] end, bool dropWhite = false)
    {
        list.Clear();
        while (true)
        {
            var t = Next();
            if (!(dropWhite && t.Kind == Tok.White)) list.Add(t);
            if (IsIn(end, t.Kind)) return list;
        }
    }

    /// <summary>Whether <paramref name="kind"/> is one of <paramref name="kinds"/> (Array.IndexOf over an enum would be compiled at run time).</summary>
    private static bool IsIn(Tok[] kinds, Tok kind)
    {
        foreach (var k in kinds)
        {
            if (k == kind) return true;
        }
        return false;
    }

    /// <summary>Appends to <paramref name="list"/> the tokens up to and including the first in <paramref name="end"/>, each one allowed or an end.</summary>
    public TokenBuffer UntilChecked(TokenBuffer list, Tok[] allowed, Tok[] end)
    {
        while (true)
        {
            var t = Next();
            if (!IsIn(allowed, t.Kind) && !IsIn(end, t.Kind))
                throw ParseError("unexpected " + t.Describe(), ExpectedText(allowed.Concat(end)));
            list.Add(t);
            if (IsIn(end, t.Kind)) return list;
        }
    }

    /// <summary>The rest of the current line's tokens, without the end of line, into a list the caller reuses.</summary>
    public TokenBuffer RestOfLineInto(TokenBuffer list)
    {
        UntilInto(list, EndOfLine);
        list.RemoveLast();
        return list;
    }

    /// <summary>The rest of the current line as raw text.</summary>
    public Token RestAsText()
    {
        _restAsString = true;
        var text = Next();
        Next();
        return text;
    }

    public Token Expect(Tok kind)
    {
        var t = Next();
        if (t.Kind != kind) throw ParseError("unexpected " + t.Describe(), ExpectedText(new[] { kind }));
        return t;
    }

    public Token ExpectSkippingWhite(Tok kind)
    {
        var t = Next();
        while (t.Kind == Tok.White) t = Next();
        if (t.Kind != kind) throw ParseError("unexpected " + t.Describe(), ExpectedText(new[] { kind }));
        return t;
    }

    public Token Check(Token t, Tok kind)
    {
        if (t.Kind != kind) throw ParseError("unexpected " + t.Describe(), ExpectedText(new[] { kind }));
        return t;
    }

    public Token Expect(params Tok[] allowed)
    {
        var t = Next();
        if (!IsIn(allowed, t.Kind)) throw ParseError("unexpected " + t.Describe(), ExpectedText(allowed));
        return t;
    }

    public Token ExpectSkippingWhite(params Tok[] allowed)
    {
        var t = Next();
        while (t.Kind == Tok.White) t = Next();
        if (!IsIn(allowed, t.Kind)) throw ParseError("unexpected " + t.Describe(), ExpectedText(allowed));
        return t;
    }

    public Token Check(Token t, params Tok[] allowed)
    {
        if (!IsIn(allowed, t.Kind)) throw ParseError("unexpected " + t.Describe(), ExpectedText(allowed));
        return t;
    }

    public static string ExpectedText(IEnumerable<Tok> kinds) =>
        string.Join(" or ", kinds.Distinct().Select(k => k is Tok.Identifier or Tok.String or Tok.EndL or Tok.White or Tok.Indent or Tok.EndBlock
            ? Token.Symbol(k) : "'" + Token.Symbol(k) + "'"));
}
