using System.Globalization;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Storage;

/// <summary>
/// Image sizes as qemu-img and the params write them: a byte count, or a number (decimals
/// allowed) with a binary suffix <c>K M G T P E</c>, optionally followed by <c>B</c> or
/// <c>iB</c> (any case: <c>10G</c>, <c>1.5g</c>, <c>512k</c>, <c>16MB</c>, <c>2GiB</c>).
/// Parsed here so a bad size fails before qemu-img runs, naming the value.
/// </summary>
public static partial class ImageSize
{
    // The unit may be followed by "B" or "iB": PowerShell's 16MB reaches a string parameter as its text.
    [GeneratedRegex(@"^\s*(?<sign>[+-])?\s*(?<num>\d+(\.\d+)?)\s*(?:(?<unit>[kmgtpe])(?:i?b)?|b)?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();

    /// <summary>Parses an absolute size in bytes; null when the text is not a size (or a signed one).</summary>
    public static long? TryParse(string? text)
    {
        var (sign, bytes) = TryParseSigned(text);
        return sign == 0 ? bytes : null;
    }

    /// <summary>
    /// Parses a size that may be relative: sign +1 for "+1G", -1 for "-1G", 0 for an absolute
    /// size; bytes is null when the text is not a size.
    /// </summary>
    public static (int Sign, long? Bytes) TryParseSigned(string? text)
    {
        if (text is null) return (0, null);
        var m = SizePattern().Match(text);
        if (!m.Success) return (0, null);
        var number = decimal.Parse(m.Groups["num"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        var shift = m.Groups["unit"].Success ? char.ToUpperInvariant(m.Groups["unit"].Value[0]) switch
        {
            'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, 'P' => 50, 'E' => 60, _ => 0,
        } : 0;
        // A fraction of a byte is not a size (qemu-img rejects "1.5" without a unit as well).
        decimal bytes;
        try
        {
            bytes = number * (1L << shift);
        }
        catch (OverflowException)
        {
            return (0, null);
        }
        if (bytes != decimal.Truncate(bytes) || bytes > long.MaxValue) return (0, null);
        var sign = m.Groups["sign"].Value switch { "+" => 1, "-" => -1, _ => 0 };
        return (sign, (long)bytes);
    }

    /// <summary>An absolute size in bytes, or a typed error naming <paramref name="argument"/> and the image.</summary>
    public static long Parse(string? text, string image, string argument) =>
        TryParse(text) ?? throw new ImageArgumentException(image, argument, text ?? "", "is not a size (bytes, or a number with K, M, G, T, P or E: 10G, 512M, 1.5G)");

    /// <summary>Bytes as people read them: 1 GiB, 512 MiB, 200.5 KiB (binary units, at most one decimal).</summary>
    public static string Format(long bytes)
    {
        string[] units = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B")
            : string.Create(CultureInfo.InvariantCulture, $"{Math.Round(value, 1):0.#} {units[unit]}");
    }
}
