using System.Globalization;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Storage;

/// <summary>
/// Where a copy of an image goes (a migration's destination disk): <c>&lt;name&gt;-copyN.&lt;format&gt;</c>
/// with the first free N, next to the source or in a given folder. A copy of a copy counts on
/// (<c>disk-copy2</c>, not <c>disk-copy1-copy1</c>).
/// </summary>
public static partial class ImageCopyPath
{
    [GeneratedRegex(@"^(.*)-copy\d+$", RegexOptions.CultureInvariant)]
    private static partial Regex CopySuffix();

    public static string Next(string source, string format, string? directory = null)
    {
        var dir = directory is { Length: > 0 } d ? Path.GetFullPath(d) : Path.GetDirectoryName(Path.GetFullPath(source))!;
        Directory.CreateDirectory(dir);
        var stem = Path.GetFileNameWithoutExtension(source);
        if (CopySuffix().Match(stem) is { Success: true } m) stem = m.Groups[1].Value;
        for (var n = 1; ; n++)
        {
            var candidate = Path.Combine(dir, $"{stem}-copy{n.ToString(CultureInfo.InvariantCulture)}.{format}");
            if (!File.Exists(candidate)) return candidate;
        }
    }
}
