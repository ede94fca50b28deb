using System.Globalization;

namespace VirtTest.Core.Storage;

/// <summary>
/// The argument lists of the qemu-img subcommands VirtTest runs (never a shell string:
/// file names and values go to qemu-img as they are). Paths are passed as given.
/// </summary>
internal static class QemuImgArguments
{
    public static List<string> Info(string path, string? format, bool backingChain, bool forceShare)
    {
        var a = new List<string> { "info", "--output=json" };
        AddFormat(a, "-f", format);
        if (forceShare) a.Add("-U");
        if (backingChain) a.Add("--backing-chain");
        a.Add(path);
        return a;
    }

    public static List<string> Create(string path, string format, long? sizeBytes, string? backingFile, string? backingFormat, string options, bool unsafeBacking = false)
    {
        var a = new List<string> { "create", "-q", "-f", format };
        if (options.Length > 0) a.AddRange(new[] { "-o", options });
        if (backingFile is not null)
        {
            a.AddRange(new[] { "-b", backingFile });
            AddFormat(a, "-F", backingFormat);
            if (unsafeBacking) a.Add("-u");
        }
        a.Add(path);
        if (sizeBytes is { } size) a.Add(size.ToString(CultureInfo.InvariantCulture));
        return a;
    }

    /// <summary>qemu-img's -o list for the options it has, in a stable order ("preallocation=metadata,cluster_size=65536").</summary>
    public static string FormatOptions(ImagePreallocation? preallocation, long? clusterSize, string? extra)
    {
        var parts = new List<string>();
        if (preallocation is { } p) parts.Add("preallocation=" + p.ToQemu());
        if (clusterSize is { } c) parts.Add("cluster_size=" + c.ToString(CultureInfo.InvariantCulture));
        if (!string.IsNullOrWhiteSpace(extra)) parts.Add(extra.Trim().Trim(','));
        return string.Join(',', parts);
    }

    public static List<string> Check(string path, string? format, ImageRepair repair, bool forceShare)
    {
        var a = new List<string> { "check", "--output=json" };
        AddFormat(a, "-f", format);
        if (repair != ImageRepair.None) a.AddRange(new[] { "-r", repair == ImageRepair.Leaks ? "leaks" : "all" });
        if (forceShare) a.Add("-U");
        a.Add(path);
        return a;
    }

    public static List<string> Convert(string source, string destination, ImageConvertOptions o, long? clusterSize)
    {
        var a = new List<string> { "convert", "-p" };
        AddFormat(a, "-f", o.SourceFormat);
        a.AddRange(new[] { "-O", o.Format });
        if (o.Compress) a.Add("-c");
        if (o.ForceShare) a.Add("-U");
        var options = FormatOptions(o.Preallocation, clusterSize, null);
        if (options.Length > 0) a.AddRange(new[] { "-o", options });
        a.Add(source);
        a.Add(destination);
        return a;
    }

    /// <summary><paramref name="size"/>: bytes, "+bytes" or "-bytes".</summary>
    public static List<string> Resize(string path, string size, string? format, bool shrink, ImagePreallocation? preallocation)
    {
        var a = new List<string> { "resize", "-q" };
        AddFormat(a, "-f", format);
        if (shrink) a.Add("--shrink");
        if (preallocation is { } p) a.Add("--preallocation=" + p.ToQemu());
        a.Add(path);
        // Last: qemu-img takes the size off the end before reading options, so "-1048576" is a size.
        a.Add(size);
        return a;
    }

    public static List<string> Compare(string reference, string difference, string? referenceFormat, string? differenceFormat, bool strict, bool forceShare)
    {
        var a = new List<string> { "compare" };
        AddFormat(a, "-f", referenceFormat);
        AddFormat(a, "-F", differenceFormat);
        if (strict) a.Add("-s");
        if (forceShare) a.Add("-U");
        a.Add(reference);
        a.Add(difference);
        return a;
    }

    /// <summary>
    /// <paramref name="action"/>: -c (create), -a (apply), -d (delete). qemu-img snapshot has no
    /// -f: a known format goes in an --image-opts string (commas in the path doubled, as QEMU's
    /// option syntax escapes them).
    /// </summary>
    public static List<string> Snapshot(string path, string action, string name, string? format)
    {
        var a = new List<string> { "snapshot", "-q" };
        if (string.IsNullOrEmpty(format))
        {
            a.AddRange(new[] { action, name, path });
        }
        else
        {
            a.Add("--image-opts");
            a.AddRange(new[] { action, name, $"driver={format.Replace(",", ",,", StringComparison.Ordinal)},file.filename={path.Replace(",", ",,", StringComparison.Ordinal)}" });
        }
        return a;
    }

    /// <summary><paramref name="backingFile"/> "" makes the image standalone (its backing data copied in).</summary>
    public static List<string> Rebase(string path, string backingFile, string? backingFormat, string? format, bool unsafeRebase)
    {
        var a = new List<string> { "rebase", "-p" };
        AddFormat(a, "-f", format);
        if (unsafeRebase) a.Add("-u");
        a.AddRange(new[] { "-b", backingFile });
        if (backingFile.Length > 0) AddFormat(a, "-F", backingFormat);
        a.Add(path);
        return a;
    }

    public static List<string> Commit(string path, string? baseImage, string? format, bool keepData)
    {
        var a = new List<string> { "commit", "-p" };
        AddFormat(a, "-f", format);
        if (baseImage is not null) a.AddRange(new[] { "-b", baseImage });
        if (keepData) a.Add("-d");
        a.Add(path);
        return a;
    }

    private static void AddFormat(List<string> a, string flag, string? format)
    {
        if (!string.IsNullOrEmpty(format)) a.AddRange(new[] { flag, format });
    }
}
