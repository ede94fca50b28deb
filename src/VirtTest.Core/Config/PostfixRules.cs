using System.Globalization;
using System.Numerics;

namespace VirtTest.Core.Config;

/// <summary>
/// The <c>_max</c>, <c>_min</c> and <c>_fixed</c> key suffixes, applied to each finished dict:
/// <c>mem_max = 2048</c> caps <c>mem</c>, <c>mem_min</c> raises it, <c>mem_fixed</c> sets it.
/// Sizes may carry B/K/M/G/T units (a bare number then counts as MiB).
/// </summary>
internal static class PostfixRules
{
    public static void Apply(WorkingDict d, string dictName)
    {
        if (!d.MaybeHasPostfixKeys) return;
        List<KeyValuePair<string, string>>? changes = null;
        foreach (var (key, value) in d.Entries())
        {
            if (WorkingDict.IsTuple(key)) continue;
            string? target = null;
            var compare = 0;
            if (key.EndsWith("_max", StringComparison.Ordinal)) { target = Before(key, "_max"); compare = 1; }
            else if (key.EndsWith("_min", StringComparison.Ordinal)) { target = Before(key, "_min"); compare = -1; }
            else if (key.EndsWith("_fixed", StringComparison.Ordinal)) { target = Before(key, "_fixed"); }
            if (target is null) continue;
            if (compare != 0 && d.TryGetValue(target, out var current) && CompareSizes(current, value, key, dictName) != compare)
                continue;
            changes ??= new();
            var existing = changes.FindIndex(c => c.Key == target);
            if (existing >= 0) changes[existing] = new(target, value);
            else changes.Add(new(target, value));
        }
        if (changes is null) return;
        foreach (var (k, v) in changes) d[k] = v;
    }

    private static string Before(string key, string marker) => key.Substring(0, key.IndexOf(marker, StringComparison.Ordinal));

    private static int CompareSizes(string a, string b, string key, string dictName)
    {
        try
        {
            BigInteger x, y;
            if (HasUnit(a) || HasUnit(b))
            {
                x = ToBytes(a);
                y = ToBytes(b);
            }
            else
            {
                x = ParseInt(a);
                y = ParseInt(b);
            }
            return Math.Sign(x.CompareTo(y));
        }
        catch (FormatException e)
        {
            throw new ConfigError(ConfigErrorKind.Expansion,
                "cannot compare '" + a + "' with '" + b + "' for key '" + key + "' in dict '" + dictName + "': " + e.Message,
                null, 0, expected: "numbers or sizes such as 512M or 2G");
        }
    }

    private static bool HasUnit(string s)
    {
        // A loop, not IndexOfAny: that one's vectorized searcher is compiled at run time on first use.
        foreach (var c in s)
        {
            if (c is 'B' or 'b' or 'K' or 'k' or 'M' or 'm' or 'G' or 'g' or 'T' or 't') return true;
        }
        return false;
    }

    private static BigInteger ToBytes(string size)
    {
        if (size.Length == 0) throw new FormatException("empty size");
        var unit = char.ToUpperInvariant(size[^1]);
        string number;
        if ("BKMGT".IndexOf(unit) >= 0) number = size[..^1];
        else { number = size; unit = 'M'; }
        var factor = unit switch { 'B' => 1d, 'K' => 1024d, 'M' => 1024d * 1024, 'G' => 1024d * 1024 * 1024, _ => 1024d * 1024 * 1024 * 1024 };
        var f = ParseFloat(number) * factor;
        if (double.IsNaN(f) || double.IsInfinity(f)) throw new FormatException("not a finite size: " + size);
        return new BigInteger(Math.Truncate(f));
    }

    private static BigInteger ParseInt(string s)
    {
        var t = s.Trim().Replace("_", "");
        if (BigInteger.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)) return v;
        throw new FormatException("not an integer: '" + s + "'");
    }

    private static double ParseFloat(string s)
    {
        var t = s.Trim().Replace("_", "");
        switch (t.ToLowerInvariant())
        {
            case "inf" or "+inf" or "infinity" or "+infinity": return double.PositiveInfinity;
            case "-inf" or "-infinity": return double.NegativeInfinity;
            case "nan" or "+nan" or "-nan": return double.NaN;
        }
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) return v;
        throw new FormatException("not a number: '" + s + "'");
    }
}
