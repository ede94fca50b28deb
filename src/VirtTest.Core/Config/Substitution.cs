using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace VirtTest.Core.Config;

/// <summary>
/// <c>${key}</c> substitution in values. A reference that cannot be resolved (an unknown key,
/// anything but a key name or an integer) stops substitution for the rest of the value, which
/// is then kept as written, as the reference parser does.
/// </summary>
internal static class Substitution
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string Apply(string value, WorkingDict d)
    {
        if (value.IndexOf('$') < 0) return value;
        var sb = new StringBuilder();
        var start = 0;
        WorkingDict? flat = null;
        while (true)
        {
            var open = value.IndexOf("${", start, StringComparison.Ordinal);
            // A reference needs at least one character between the braces.
            if (open < 0 || open + 3 > value.Length) break;
            var close = value.IndexOf('}', open + 3);
            if (close < 0) break;
            flat ??= d.DropSuffixes();
            if (!TryEvaluate(value.Substring(open + 2, close - open - 2), flat, out var resolved)) break;
            sb.Append(value, start, open - start).Append(resolved);
            start = close + 1;
        }
        sb.Append(value, start, value.Length - start);
        return sb.ToString();
    }

    private static bool TryEvaluate(string expression, WorkingDict d, out string result)
    {
        var expr = expression.TrimStart(' ', '\t').TrimEnd();
        result = "";
        if (expr.Length == 0) return false;
        if (IsIdentifier(expr))
        {
            switch (expr)
            {
                case "True" or "False" or "None":
                    result = expr;
                    return true;
            }
            return d.TryGetValue(expr, out result);
        }
        return TryInteger(expr, out result);
    }

    private static bool IsIdentifier(string s)
    {
        if (!(char.IsLetter(s[0]) || s[0] == '_')) return false;
        foreach (var c in s)
        {
            if (!(char.IsLetterOrDigit(c) || c == '_')) return false;
        }
        return true;
    }

    private static bool TryInteger(string s, out string result)
    {
        result = "";
        var digits = s.Replace("_", "");
        if (s.StartsWith('_') || s.EndsWith('_') || s.Contains("__")) return false;
        if (digits.Length > 2 && digits[0] == '0' && (digits[1] is 'x' or 'X'))
        {
            if (BigInteger.TryParse("0" + digits[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var h))
            {
                result = h.ToString(CultureInfo.InvariantCulture);
                return true;
            }
            return false;
        }
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit)) return false;
        if (digits.Length > 1 && digits[0] == '0' && digits.Any(c => c != '0')) return false;
        result = BigInteger.Parse(digits, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
        return true;
    }
}
