using System.Globalization;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Storage;

/// <summary>
/// Reads qemu-img's <c>-p</c> output, "    (12.50/100%)\r" repeated, as it arrives in
/// arbitrary chunks; <see cref="Feed"/> returns the newest percentage seen in the chunk.
/// </summary>
internal sealed partial class QemuImgProgressParser
{
    private string _pending = "";

    [GeneratedRegex(@"\(\s*(\d+(?:\.\d+)?)/100%\)", RegexOptions.CultureInvariant)]
    private static partial Regex ProgressPattern();

    public double? Feed(ReadOnlySpan<char> chunk)
    {
        var text = _pending + chunk.ToString();
        double? latest = null;
        var end = 0;
        foreach (Match m in ProgressPattern().Matches(text))
        {
            latest = double.Parse(m.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
            end = m.Index + m.Length;
        }
        // Keep an unfinished report ("(12.5") for the next chunk, never more than one report's length.
        var rest = text[end..];
        _pending = rest.Length > 32 ? rest[^32..] : rest;
        return latest;
    }
}
