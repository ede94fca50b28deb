using System.Globalization;
using System.Text;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// Writes KEY=VALUE pairs in the syntax of xl.cfg(5). Strings go in double quotes; inside
/// them xl's config lexer understands the backslash escapes \\ \" \' \n \r \t \a \b \f \v,
/// so those characters are escaped and every other control character is refused (xl's
/// numeric escapes are not usable: its parser reads the digits but drops the character).
/// Keys are checked against xl's identifier syntax.
/// </summary>
public static class XlConfigWriter
{
    /// <summary>The whole file: one <c>key = value</c> line per setting, in the given order.</summary>
    public static string Write(IEnumerable<KeyValuePair<string, XlConfigValue>> settings)
    {
        var sb = new StringBuilder();
        foreach (var (key, value) in settings)
        {
            CheckKey(key);
            sb.Append(key).Append(" = ");
            WriteValue(sb, value);
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>One value as it appears after <c>=</c>.</summary>
    public static string Format(XlConfigValue value)
    {
        var sb = new StringBuilder();
        WriteValue(sb, value);
        return sb.ToString();
    }

    private static void WriteValue(StringBuilder sb, XlConfigValue value)
    {
        switch (value)
        {
            case XlString s:
                Quote(sb, s.Value);
                break;
            case XlNumber n:
                sb.Append(n.Value.ToString(CultureInfo.InvariantCulture));
                break;
            case XlList list:
                if (list.Items.Count == 0) { sb.Append("[ ]"); break; }
                sb.Append("[ ");
                for (var i = 0; i < list.Items.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    WriteValue(sb, list.Items[i]);
                }
                sb.Append(" ]");
                break;
            default:
                throw new ArgumentException($"Unknown xl config value type {value.GetType().Name}.", nameof(value));
        }
    }

    /// <summary>A string in double quotes with xl's escapes.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2);
        Quote(sb, value);
        return sb.ToString();
    }

    private static void Quote(StringBuilder sb, string value)
    {
        sb.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                case '\t': sb.Append(@"\t"); break;
                case '\a': sb.Append(@"\a"); break;
                case '\b': sb.Append(@"\b"); break;
                case '\f': sb.Append(@"\f"); break;
                case '\v': sb.Append(@"\v"); break;
                default:
                    if (char.IsControl(c))
                        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                            $"The value '{value}' contains the control character U+{(int)c:X4}, which an xl config string cannot carry."), nameof(value));
                    sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    private static void CheckKey(string key)
    {
        var ok = key.Length > 0 && (char.IsAsciiLetter(key[0]) || key[0] == '_')
            && key.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        if (!ok) throw new ArgumentException($"'{key}' is not a valid xl config key (letters, digits and _, not starting with a digit).", nameof(key));
    }
}
