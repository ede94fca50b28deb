using System.Text.RegularExpressions;

namespace VirtTest.Core.Storage;

/// <summary>
/// Turns a failed qemu-img run into a typed error from its stderr: a lock held by another
/// process ("Failed to get "write" lock ... Is another process using the image [x]?"), a
/// missing file ("Could not open 'x': No such file or directory"), an unknown format
/// ("Unknown file format 'x'", "Unknown driver 'x'"), a format without the operation
/// ("does not support checks", "(Operation not supported)"); else <see cref="QemuImgException"/>.
/// </summary>
internal static partial class QemuImgErrors
{
    [GeneratedRegex(@"Failed to get (?<shared>shared )?""[^""]+"" lock", RegexOptions.CultureInvariant)]
    private static partial Regex LockPattern();

    [GeneratedRegex(@"Is another process using the image \[(?<file>[^\]]+)\]", RegexOptions.CultureInvariant)]
    private static partial Regex LockedFilePattern();

    [GeneratedRegex(@"Could not open '(?<file>[^']*)': No such file or directory", RegexOptions.CultureInvariant)]
    private static partial Regex MissingPattern();

    [GeneratedRegex(@"Unknown (?:file format|driver|protocol) '(?<format>[^']*)'", RegexOptions.CultureInvariant)]
    private static partial Regex UnknownFormatPattern();

    public static StorageException Classify(string subcommand, string image, string? format, int exitCode, string stderr)
    {
        var locked = LockPattern().Match(stderr);
        if (locked.Success)
        {
            var file = LockedFilePattern().Match(stderr) is { Success: true } f ? f.Groups["file"].Value : image;
            return new ImageLockedException(image, file, locked.Groups["shared"].Success);
        }
        var missing = MissingPattern().Matches(stderr);
        if (missing.Count > 0)
        {
            // The innermost "Could not open" names the file that is missing (the image or a backing file).
            var file = missing[^1].Groups["file"].Value;
            return new ImageNotFoundException(image, SameFile(file, image) ? image : file);
        }
        if (UnknownFormatPattern().Match(stderr) is { Success: true } unknown)
            return new UnsupportedImageFormatException(image, unknown.Groups["format"].Value);
        if (subcommand == "check" && exitCode == 63)
            return new UnsupportedImageFormatException(image, format, "checks");
        if (stderr.Contains("(Operation not supported)", StringComparison.Ordinal) || stderr.Contains("does not support", StringComparison.Ordinal))
            return new UnsupportedImageFormatException(image, format, OperationOf(subcommand));
        return new QemuImgException(image, subcommand, exitCode, stderr);
    }

    private static string OperationOf(string subcommand) => subcommand switch
    {
        "snapshot" => "internal snapshots",
        "check" => "checks",
        "resize" => "resizing",
        "commit" => "commit",
        _ => subcommand,
    };

    private static bool SameFile(string a, string b)
    {
        try
        {
            return string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), StringComparison.Ordinal);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
