using System.Globalization;
using VirtTest.Core.Config;

namespace VirtTest.Core.Storage;

/// <summary>
/// Disk images through <c>qemu-img</c>: create, inspect, check, convert, resize, compare,
/// internal snapshots, rebase and commit, with typed results and typed errors that name the
/// image. The image cmdlets and env processing (create_image, check_image) both use it.
/// Paths are made absolute before qemu-img sees them.
/// </summary>
public sealed class QemuImg
{
    public const string DefaultBinary = "qemu-img";

    public QemuImg(string? binary = null)
    {
        Binary = string.IsNullOrEmpty(binary) ? DefaultBinary : binary;
    }

    /// <summary>The qemu-img program (a name looked up on PATH, or a path).</summary>
    public string Binary { get; }

    /// <summary>The tool the params name (<c>qemu_img_binary</c>), else qemu-img from PATH.</summary>
    public static QemuImg FromParams(VirtParams imageParams) => new(imageParams.Get("qemu_img_binary"));

    // ------------------------------------------------------------------ inspect

    public async Task<ImageInfo> GetInfoAsync(string path, string? format = null, bool forceShare = false, CancellationToken ct = default)
    {
        var full = Full(path);
        var output = await RunCheckedAsync("info", full, format, QemuImgArguments.Info(full, format, false, forceShare), null, ct).ConfigureAwait(false);
        return ImageInfo.ParseJson(output.StandardOutput, full)[0];
    }

    /// <summary>The image and every backing file below it, the image first (<see cref="ImageInfo.Depth"/> 0).</summary>
    public async Task<IReadOnlyList<ImageInfo>> GetBackingChainAsync(string path, string? format = null, bool forceShare = false, CancellationToken ct = default)
    {
        var full = Full(path);
        var output = await RunCheckedAsync("info", full, format, QemuImgArguments.Info(full, format, true, forceShare), null, ct).ConfigureAwait(false);
        return ImageInfo.ParseJson(output.StandardOutput, full);
    }

    public async Task<IReadOnlyList<ImageSnapshot>> GetSnapshotsAsync(string path, string? format = null, bool forceShare = false, CancellationToken ct = default) =>
        (await GetInfoAsync(path, format, forceShare, ct).ConfigureAwait(false)).Snapshots;

    /// <summary>
    /// <c>qemu-img check</c>: a typed result for a clean, leaking or corrupt image (exit codes
    /// 0, 3, 2 and 1 with a report); an error when the check could not run at all.
    /// </summary>
    public async Task<ImageCheckResult> CheckAsync(string path, string? format = null, ImageRepair repair = ImageRepair.None, bool forceShare = false, CancellationToken ct = default)
    {
        var full = Full(path);
        if (forceShare && repair != ImageRepair.None)
            throw new ImageArgumentException(full, "ForceShare", "true", "cannot be combined with a repair (repairing writes the image: stop the VM that uses it)");
        RequireExisting(full);
        var output = await RunAsync(QemuImgArguments.Check(full, format, repair, forceShare), full, null, ct).ConfigureAwait(false);
        // 0 clean, 2 corruptions, 3 leaks; 1 means errors during the check, with a report only when it got that far.
        if (output.ExitCode is 0 or 2 or 3 || (output.ExitCode == 1 && output.StandardOutput.TrimStart().StartsWith('{')))
            return ImageCheckResult.FromJson(output.StandardOutput, full, output.ExitCode, output.StandardError, repair);
        throw QemuImgErrors.Classify("check", full, format, output.ExitCode, output.StandardError);
    }

    /// <summary><c>qemu-img compare</c>: identical or not (exit 0 or 1); an error otherwise.</summary>
    public async Task<ImageCompareResult> CompareAsync(string reference, string difference, string? referenceFormat = null, string? differenceFormat = null,
        bool strict = false, bool forceShare = false, CancellationToken ct = default)
    {
        var a = Full(reference);
        var b = Full(difference);
        RequireExisting(a);
        RequireExisting(b);
        var output = await RunAsync(QemuImgArguments.Compare(a, b, referenceFormat, differenceFormat, strict, forceShare), a, null, ct).ConfigureAwait(false);
        if (output.ExitCode is 0 or 1) return ImageCompareResult.From(a, b, strict, output.ExitCode, output.StandardOutput);
        throw QemuImgErrors.Classify("compare", a, referenceFormat, output.ExitCode, output.StandardError);
    }

    // ------------------------------------------------------------------ create and change

    /// <summary><c>qemu-img create</c>; fails with <see cref="ImageExistsException"/> when the file exists and <paramref name="overwrite"/> is false.</summary>
    public async Task<ImageInfo> CreateAsync(string path, ImageCreateOptions options, bool overwrite = false, CancellationToken ct = default)
    {
        var full = Full(path);
        if (!overwrite && File.Exists(full)) throw new ImageExistsException(full);
        long? size = options.Size is { Length: > 0 } s ? ImageSize.Parse(s, full, "size") : null;
        string? backing = null;
        string? backingFormat = options.BackingFormat;
        if (options.BackingFile is { Length: > 0 } b)
        {
            backing = Full(b);
            if (options.UnsafeBacking)
            {
                if (backingFormat is null || size is null)
                    throw new ImageArgumentException(full, "backing format", backingFormat ?? "", "and a size are needed for an overlay whose backing file is not opened");
            }
            else
            {
                // QEMU 6.1+ refuses an overlay without its backing format: read it from the file itself.
                backingFormat ??= (await GetInfoAsync(backing, null, forceShare: true, ct).ConfigureAwait(false)).Format;
            }
        }
        else if (size is null)
        {
            throw new ImageArgumentException(full, "size", "", "is missing (a size is needed unless the image has a backing file)");
        }
        long? cluster = options.ClusterSize is { Length: > 0 } c ? ImageSize.Parse(c, full, "cluster size") : null;
        var formatOptions = QemuImgArguments.FormatOptions(options.Preallocation, cluster, options.ExtraOptions);
        await RunCheckedAsync("create", full, options.Format,
            QemuImgArguments.Create(full, options.Format, size, backing, backingFormat, formatOptions, options.UnsafeBacking), null, ct).ConfigureAwait(false);
        // An overlay on a file a VM holds is read with a shared lock (its backing file is opened for the info).
        return await GetInfoAsync(full, options.Format, options.UnsafeBacking, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>qemu-img convert -p</c> to <paramref name="destination"/>; returns the new image's info.
    /// A destination this call created is deleted again when the conversion fails or is cancelled.
    /// </summary>
    public async Task<ImageInfo> ConvertAsync(string source, string destination, ImageConvertOptions options,
        IProgress<ImageProgress>? progress = null, CancellationToken ct = default)
    {
        var src = Full(source);
        var dst = Full(destination);
        RequireExisting(src);
        if (string.Equals(src, dst, StringComparison.Ordinal))
            throw new ImageArgumentException(src, "destination", dst, "is the source itself (convert to another file)");
        var existed = File.Exists(dst);
        if (existed && !options.Overwrite) throw new ImageExistsException(dst);
        long? cluster = options.ClusterSize is { Length: > 0 } c ? ImageSize.Parse(c, dst, "cluster size") : null;
        var completed = false;
        try
        {
            await RunCheckedAsync("convert", src, options.SourceFormat, QemuImgArguments.Convert(src, dst, options, cluster),
                Reporter(progress, "convert", src), ct).ConfigureAwait(false);
            completed = true;
        }
        finally
        {
            if (!completed && !existed) TryDelete(dst);
        }
        return await GetInfoAsync(dst, options.Format, false, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>qemu-img resize</c>: <paramref name="size"/> absolute ("20G") or relative ("+1G", "-512M").
    /// Shrinking loses the data past the new end, so it needs <paramref name="shrink"/>.
    /// </summary>
    public async Task<ImageInfo> ResizeAsync(string path, string size, string? format = null, bool shrink = false,
        ImagePreallocation? preallocation = null, CancellationToken ct = default)
    {
        var full = Full(path);
        var (sign, bytes) = ImageSize.TryParseSigned(size);
        if (bytes is null)
            throw new ImageArgumentException(full, "size", size, "is not a size (20G, or relative: +1G, -512M)");
        var text = (sign switch { 1 => "+", -1 => "-", _ => "" }) + bytes.Value.ToString(CultureInfo.InvariantCulture);
        await RunCheckedAsync("resize", full, format, QemuImgArguments.Resize(full, text, format, shrink, preallocation), null, ct).ConfigureAwait(false);
        return await GetInfoAsync(full, format, false, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>qemu-img rebase</c>: gives the image a new backing file. Safe (the default) copies what
    /// differs so the guest sees the same data; <paramref name="unsafeRebase"/> only rewrites the
    /// header (for a backing file that was moved or renamed). A null or empty
    /// <paramref name="backingFile"/> makes the image standalone.
    /// </summary>
    public async Task<ImageInfo> RebaseAsync(string path, string? backingFile, string? backingFormat = null, string? format = null,
        bool unsafeRebase = false, IProgress<ImageProgress>? progress = null, CancellationToken ct = default)
    {
        var full = Full(path);
        var backing = backingFile is { Length: > 0 } b ? Full(b) : "";
        if (backing.Length > 0 && backingFormat is null)
        {
            if (File.Exists(backing)) backingFormat = (await GetInfoAsync(backing, null, forceShare: true, ct).ConfigureAwait(false)).Format;
            else if (!unsafeRebase) throw new ImageNotFoundException(full, backing);
            else throw new ImageArgumentException(full, "backing format", "", $"is needed: the new backing file '{backing}' does not exist yet, so its format cannot be read");
        }
        await RunCheckedAsync("rebase", full, format, QemuImgArguments.Rebase(full, backing, backingFormat, format, unsafeRebase),
            Reporter(progress, "rebase", full), ct).ConfigureAwait(false);
        return await GetInfoAsync(full, format, false, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>qemu-img commit</c>: writes the overlay's data into its backing file (or into
    /// <paramref name="baseImage"/> further down the chain). The overlay is emptied afterwards
    /// unless <paramref name="keepData"/>. Returns the info of the image that received the data.
    /// </summary>
    public async Task<ImageInfo> CommitAsync(string path, string? baseImage = null, string? format = null, bool keepData = false,
        IProgress<ImageProgress>? progress = null, CancellationToken ct = default)
    {
        var full = Full(path);
        var info = await GetInfoAsync(full, format, false, ct).ConfigureAwait(false);
        var target = baseImage is { Length: > 0 } b ? Full(b)
            : info.FullBackingFile ?? throw new ImageArgumentException(full, "backing file", "", "is missing: the image has no backing file to commit into");
        await RunCheckedAsync("commit", full, format, QemuImgArguments.Commit(full, baseImage is { Length: > 0 } ? target : null, format, keepData),
            Reporter(progress, "commit", full), ct).ConfigureAwait(false);
        return await GetInfoAsync(target, null, false, ct).ConfigureAwait(false);
    }

    // ------------------------------------------------------------------ internal snapshots

    /// <summary>Takes an internal snapshot; a second snapshot of the same name is refused (qemu-img would add one).</summary>
    public async Task<ImageSnapshot> NewSnapshotAsync(string path, string name, string? format = null, CancellationToken ct = default)
    {
        var full = Full(path);
        ValidateSnapshotName(full, name);
        var before = await GetSnapshotsAsync(full, format, false, ct).ConfigureAwait(false);
        if (before.Any(s => s.Name == name)) throw new ImageSnapshotExistsException(full, name);
        await RunCheckedAsync("snapshot", full, format, QemuImgArguments.Snapshot(full, "-c", name, format), null, ct).ConfigureAwait(false);
        var after = await GetSnapshotsAsync(full, format, false, ct).ConfigureAwait(false);
        return after.LastOrDefault(s => s.Name == name)
            ?? throw new StorageException(full, $"qemu-img snapshot -c '{name}' succeeded but image '{full}' does not list the snapshot.");
    }

    /// <summary>Reverts the image's data to the snapshot (by name, or by id).</summary>
    public async Task RestoreSnapshotAsync(string path, string name, string? format = null, CancellationToken ct = default)
    {
        var full = Full(path);
        var snapshot = await FindSnapshotAsync(full, name, format, ct).ConfigureAwait(false);
        // qemu-img snapshot -a looks up by id, then by name: the id picks exactly this one.
        await RunCheckedAsync("snapshot", full, format, QemuImgArguments.Snapshot(full, "-a", snapshot.Id, format), null, ct).ConfigureAwait(false);
    }

    /// <summary>Deletes the snapshot (by name, or by id).</summary>
    public async Task RemoveSnapshotAsync(string path, string name, string? format = null, CancellationToken ct = default)
    {
        var full = Full(path);
        var snapshot = await FindSnapshotAsync(full, name, format, ct).ConfigureAwait(false);
        // qemu-img snapshot -d takes names only (an id is "not found").
        await RunCheckedAsync("snapshot", full, format, QemuImgArguments.Snapshot(full, "-d", snapshot.Name, format), null, ct).ConfigureAwait(false);
    }

    private async Task<ImageSnapshot> FindSnapshotAsync(string full, string name, string? format, CancellationToken ct)
    {
        var snapshots = await GetSnapshotsAsync(full, format, false, ct).ConfigureAwait(false);
        var match = snapshots.FirstOrDefault(s => s.Name == name) ?? snapshots.FirstOrDefault(s => s.Id == name);
        if (match is null) throw new ImageSnapshotNotFoundException(full, name, snapshots.Select(s => s.Name).ToList());
        return match;
    }

    private static void ValidateSnapshotName(string image, string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ImageArgumentException(image, "snapshot name", name, "is empty");
        // An all-digit name would be read as a snapshot id by later lookups.
        if (name.All(char.IsAsciiDigit)) throw new ImageArgumentException(image, "snapshot name", name, "is all digits (qemu-img would read it as a snapshot id)");
    }

    // ------------------------------------------------------------------ running qemu-img

    private async Task<QemuImgOutput> RunCheckedAsync(string subcommand, string image, string? format, IReadOnlyList<string> arguments,
        Action<double>? onProgress, CancellationToken ct)
    {
        if (subcommand is not ("create" or "convert")) RequireExisting(image);
        var output = await RunAsync(arguments, image, onProgress, ct).ConfigureAwait(false);
        if (output.ExitCode != 0) throw QemuImgErrors.Classify(subcommand, image, format, output.ExitCode, output.StandardError);
        return output;
    }

    private Task<QemuImgOutput> RunAsync(IReadOnlyList<string> arguments, string image, Action<double>? onProgress, CancellationToken ct) =>
        QemuImgProcess.RunAsync(Binary, arguments, image, onProgress, ct);

    private static Action<double>? Reporter(IProgress<ImageProgress>? progress, string operation, string image) =>
        progress is null ? null : percent => progress.Report(new ImageProgress(operation, image, percent));

    /// <summary>A missing image is named at once, before qemu-img's nested "Could not open" message.</summary>
    private static void RequireExisting(string full)
    {
        if (!File.Exists(full))
        {
            if (Directory.Exists(full)) throw new ImageArgumentException(full, "path", full, "is a folder, not an image file");
            throw new ImageNotFoundException(full);
        }
    }

    private static string Full(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ImageArgumentException(path ?? "", "path", path ?? "", "is empty");
        return Path.GetFullPath(path);
    }

    private static void TryDelete(string file)
    {
        try { File.Delete(file); }
        catch (IOException) { /* best effort: the error that got us here matters more */ }
        catch (UnauthorizedAccessException) { }
    }
}
