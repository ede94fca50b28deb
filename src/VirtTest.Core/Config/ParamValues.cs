using System.Globalization;

namespace VirtTest.Core.Config;

/// <summary>
/// The rules by which parameter text becomes a typed value (the reference test framework's
/// rules): booleans, numbers, lists and data sizes. Every reader takes the key for its error.
/// </summary>
public static class ParamValues
{
    /// <summary>
    /// <c>yes</c>/<c>true</c>/<c>on</c> or <c>no</c>/<c>false</c>/<c>off</c>, case-insensitive,
    /// white space around ignored.
    /// </summary>
    public static bool ParseBool(string key, string value)
    {
        switch (value.Trim().ToLowerInvariant())
        {
            case "yes" or "true" or "on": return true;
            case "no" or "false" or "off": return false;
            default: throw new ParamValueException(key, value, "a boolean (yes/no, true/false, on/off)");
        }
    }

    /// <summary>True for <c>yes</c>/<c>true</c>/<c>on</c> (any case); false for anything else, malformed included.</summary>
    public static bool IsTrueWord(string value) => value.Trim().ToLowerInvariant() is "yes" or "true" or "on";

    /// <summary>A decimal integer with an optional sign (<c>-3</c>, <c>+7</c>, <c>512</c>).</summary>
    public static int ParseInt(string key, string value)
    {
        if (int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)) return i;
        throw new ParamValueException(key, value, "an integer in the range of a 32-bit int (e.g. 512)");
    }

    /// <summary>A decimal number, with exponent allowed (<c>0.5</c>, <c>1e3</c>); not NaN or infinity.</summary>
    public static double ParseDouble(string key, string value)
    {
        if (double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) return d;
        throw new ParamValueException(key, value, "a finite number (e.g. 0.5 or 1e3)");
    }

    /// <summary>The words of a value, split on any white space (empty words dropped).</summary>
    public static IReadOnlyList<string> ParseList(string value) =>
        value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// A data size in bytes: a number (decimals allowed) and an optional unit <c>B</c>, <c>K</c>,
    /// <c>M</c>, <c>G</c>, <c>T</c> (powers of 1024, case-insensitive; <c>KB</c>/<c>KiB</c> spellings
    /// accepted). A number without a unit counts in <paramref name="bareUnit"/> (bytes by default);
    /// fractions of a byte are dropped.
    /// </summary>
    public static long ParseSize(string key, string value, char bareUnit = 'B')
    {
        var multiplier = UnitFactor(bareUnit) ?? throw new ArgumentOutOfRangeException(nameof(bareUnit), bareUnit, "one of B, K, M, G, T");
        var s = value.Trim();
        var end = s.Length;
        // Optional "B" or "iB" after a K/M/G/T letter, then the letter itself.
        if (end >= 3 && (s[end - 1] is 'B' or 'b') && (s[end - 2] is 'i' or 'I') && UnitFactor(s[end - 3]) is not null and not 1) end -= 2;
        else if (end >= 2 && (s[end - 1] is 'B' or 'b') && UnitFactor(s[end - 2]) is not null and not 1) end -= 1;
        if (end >= 1 && UnitFactor(s[end - 1]) is { } f)
        {
            multiplier = f;
            end--;
        }
        var number = s.AsSpan(0, end).TrimEnd();
        if (number.Length == 0 || number[0] is '+' or '-' ||
            !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            throw new ParamValueException(key, value, "a size such as 10G, 512M, 1024K or a byte count");
        try
        {
            return (long)decimal.Truncate(amount * multiplier);
        }
        catch (OverflowException e)
        {
            throw new ParamValueException(key, value, "a size below 8 EiB", e);
        }
    }

    private static long? UnitFactor(char c) => char.ToUpperInvariant(c) switch
    {
        'B' => 1L,
        'K' => 1L << 10,
        'M' => 1L << 20,
        'G' => 1L << 30,
        'T' => 1L << 40,
        _ => null,
    };
}
