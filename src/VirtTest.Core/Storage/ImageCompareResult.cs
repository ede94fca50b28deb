using System.Globalization;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Storage;

/// <summary>
/// The result of <c>qemu-img compare</c>: whether two images show the guest the same data
/// (formats and allocation may differ; in strict mode sizes and allocation must match too).
/// </summary>
public sealed partial class ImageCompareResult
{
    public required string ReferencePath { get; init; }
    public required string DifferencePath { get; init; }
    public bool Identical { get; init; }
    public bool Strict { get; init; }

    /// <summary>Where the contents first differ, when qemu-img names it: the offset of that 512-byte sector.</summary>
    public long? MismatchOffset { get; init; }

    /// <summary>qemu-img's verdict ("Images are identical.", "Content mismatch at offset 0!").</summary>
    public required string Message { get; init; }

    public override string ToString() => $"{ReferencePath} vs {DifferencePath}: {Message}";

    [GeneratedRegex(@"mismatch at offset (\d+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OffsetPattern();

    internal static ImageCompareResult From(string reference, string difference, bool strict, int exitCode, string stdout)
    {
        var message = stdout.Trim();
        var m = OffsetPattern().Match(message);
        return new ImageCompareResult
        {
            ReferencePath = reference,
            DifferencePath = difference,
            Identical = exitCode == 0,
            Strict = strict,
            MismatchOffset = m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null,
            Message = message,
        };
    }
}
