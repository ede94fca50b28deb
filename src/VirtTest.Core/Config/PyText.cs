namespace VirtTest.Core.Config;

/// <summary>
/// Character classes and string helpers with the same meaning as in the reference
/// implementation's language, so that the same bytes split, strip and tokenize the same way.
/// </summary>
internal static class PyText
{
    // ASCII answered here: these run for every character of a config, and the framework's
    // classifiers are calls that precompiled code does not inline.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static bool IsSpace(char c) => c < '\x80'
        ? c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f')
        : char.IsWhiteSpace(c);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static bool IsAlnum(char c) => c < '\x80'
        ? (uint)((c | 0x20) - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9
        : char.IsLetterOrDigit(c) || char.IsNumber(c);

    public static bool IsLineBreak(char c) =>
        c is '\n' or '\r' or '\x0b' or '\x0c' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029';

    public static string LStrip(string s)
    {
        var i = 0;
        while (i < s.Length && IsSpace(s[i])) i++;
        return i == 0 ? s : s.Substring(i);
    }

    public static string RStrip(string s)
    {
        var j = s.Length;
        while (j > 0 && IsSpace(s[j - 1])) j--;
        return j == s.Length ? s : s.Substring(0, j);
    }

    public static string Strip(string s) => LStrip(RStrip(s));

    /// <summary>Tabs expanded to the next multiple of 8 columns.</summary>
    public static string ExpandTabs(string s)
    {
        if (s.IndexOf('\t') < 0) return s;
        var sb = new System.Text.StringBuilder(s.Length + 16);
        var col = 0;
        foreach (var c in s)
        {
            if (c == '\t')
            {
                var n = 8 - col % 8;
                sb.Append(' ', n);
                col += n;
            }
            else
            {
                sb.Append(c);
                col++;
            }
        }
        return sb.ToString();
    }

    /// <summary>Appends a string as the reference's language writes it in a literal (<c>repr</c>): quoted, escaped.</summary>
    public static void AppendRepr(System.Text.StringBuilder sb, string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(quote);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == quote) sb.Append('\\').Append(c);
                    else if (c < ' ' || (c >= '\x7f' && c <= '\xa0')) sb.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append(quote);
    }

    /// <summary>Reads a literal written by <see cref="AppendRepr"/> at <paramref name="pos"/>; null when there is none.</summary>
    public static string? ReadRepr(string text, ref int pos)
    {
        if (pos >= text.Length || text[pos] is not ('\'' or '"')) return null;
        var quote = text[pos++];
        var sb = new System.Text.StringBuilder();
        while (pos < text.Length)
        {
            var c = text[pos++];
            if (c == quote) return sb.ToString();
            if (c != '\\' || pos >= text.Length)
            {
                sb.Append(c);
                continue;
            }
            var e = text[pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'x' when pos + 2 <= text.Length &&
                              int.TryParse(text.AsSpan(pos, 2), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var h):
                    sb.Append((char)h);
                    pos += 2;
                    break;
                default: sb.Append(e); break;
            }
        }
        return null;
    }
}
