namespace VirtTest.Core.Storage;

/// <summary>
/// An image operation failed. Every storage error names the image (<see cref="Image"/>); the
/// derived types say why in a way callers can catch (missing, locked, format, snapshot).
/// </summary>
public class StorageException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "Image";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidOperation;

    public StorageException(string image, string message, Exception? inner = null) : base(message, inner)
    {
        Image = image;
    }

    /// <summary>The image file the operation was about.</summary>
    public string Image { get; }
}

/// <summary>qemu-img ran and failed for a reason none of the specific errors covers; carries its stderr.</summary>
public sealed class QemuImgException : StorageException
{
    /// <inheritdoc />
    public override string ErrorId => "QemuImg";

    public QemuImgException(string image, string subcommand, int exitCode, string stderr)
        : base(image, $"qemu-img {subcommand} failed on '{image}' (exit code {exitCode}): {OneLine(stderr)}")
    {
        Subcommand = subcommand;
        ExitCode = exitCode;
        StandardError = stderr;
    }

    public string Subcommand { get; }
    public int ExitCode { get; }
    public string StandardError { get; }

    internal static string OneLine(string text)
    {
        var line = string.Join(" ", text.Replace("\r", "", StringComparison.Ordinal)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.StartsWith("qemu-img: ", StringComparison.Ordinal) ? l["qemu-img: ".Length..] : l));
        return line.Length == 0 ? "(no message)" : line;
    }
}

/// <summary>The qemu-img program itself is missing.</summary>
public sealed class QemuImgNotFoundException : StorageException
{
    /// <inheritdoc />
    public override string ErrorId => "QemuImgNotFound";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.NotInstalled;

    public QemuImgNotFoundException(string image, string binary, Exception? inner = null)
        : base(image, $"Cannot run '{binary}' for image '{image}': it is not installed or not on PATH (Debian: apt-get install qemu-utils; or set qemu_img_binary).", inner)
    {
        Binary = binary;
    }

    public string Binary { get; }
}

/// <summary>The image (or a file of its backing chain) does not exist.</summary>
public sealed class ImageNotFoundException : StorageException
{
    /// <inheritdoc />
    public override string ErrorId => "ImageNotFound";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ObjectNotFound;

    public ImageNotFoundException(string image, string? missing = null)
        : base(image, missing is null || missing == image
            ? $"Image '{image}' does not exist."
            : $"Image '{image}' cannot be opened: its backing file '{missing}' does not exist (Set-VirtImage -BackingFile ... -Unsafe points it elsewhere).")
    {
        MissingFile = missing ?? image;
    }

    private ImageNotFoundException(string image, string message, string host)
        : base(image, message)
    {
        MissingFile = image;
        Host = host;
    }

    /// <summary>An image that does not exist on another host (a Xen host reached over SSH).</summary>
    public static ImageNotFoundException OnHost(string image, string host) => new(image, $"Image '{image}' does not exist on {host}.", host);

    /// <summary>The host the image was looked for on; null for this machine.</summary>
    public string? Host { get; }

    /// <summary>The file that is missing: the image itself or a file of its backing chain.</summary>
    public string MissingFile { get; }
}

/// <summary>Another process (a running VM) holds the image's lock (QEMU's image locking).</summary>
public sealed class ImageLockedException : StorageException
{
    /// <inheritdoc />
    public override string ErrorId => "ImageLocked";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ResourceBusy;

    public ImageLockedException(string image, string lockedFile, bool readOnlyAccess)
        : base(image, $"Image '{lockedFile}' is locked by another process (a running VM uses it): qemu-img could not get its "
            + (readOnlyAccess ? "shared lock. Stop the VM, or read it anyway with -ForceShare (the data may be inconsistent while the VM writes)." : "write lock. Stop the VM that uses it first."))
    {
        LockedFile = lockedFile;
    }

    /// <summary>The locked file (the image, or a file of its backing chain).</summary>
    public string LockedFile { get; }
}

/// <summary>A format qemu-img does not know, or one that cannot do the operation (checks or snapshots on raw).</summary>
public sealed class UnsupportedImageFormatException : StorageException
{
    /// <inheritdoc />
    public override string ErrorId => "UnsupportedImageFormat";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidArgument;

    public UnsupportedImageFormatException(string image, string? format, string? operation = null)
        : base(image, operation is null
            ? $"Image '{image}': '{format}' is not an image format qemu-img knows (for example qcow2, raw, qed, vmdk, vdi, vhdx, vpc)."
            : $"Image '{image}': the {(format is null ? "image's" : $"'{format}'")} format does not support {operation} (qcow2 does).")
    {
        Format = format;
        Operation = operation;
    }

    public string? Format { get; }

    /// <summary>The operation the format cannot do, or null for an unknown format.</summary>
    public string? Operation { get; }
}

/// <summary>An image file is already there and the operation would overwrite it.</summary>
public sealed class ImageExistsException : StorageException
{
    /// <inheritdoc />
    public override string ErrorId => "ImageExists";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ResourceExists;

    public ImageExistsException(string image)
        : base(image, $"Image '{image}' already exists (use -Force to overwrite it).") { }
}

/// <summary>No internal snapshot of that name (or id) in the image.</summary>
public sealed class ImageSnapshotNotFoundException : StorageException
{
    /// <inheritdoc />
    public override string ErrorId => "ImageSnapshotNotFound";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ObjectNotFound;

    public ImageSnapshotNotFoundException(string image, string snapshot, IReadOnlyList<string> existing)
        : base(image, $"Image '{image}' has no snapshot '{snapshot}'" + (existing.Count == 0 ? " (it has none)." : $" (it has: {string.Join(", ", existing)})."))
    {
        Snapshot = snapshot;
    }

    public string Snapshot { get; }
}

/// <summary>A snapshot of that name exists already (qemu-img would add a second one of the same name).</summary>
public sealed class ImageSnapshotExistsException : StorageException
{
    /// <inheritdoc />
    public override string ErrorId => "ImageSnapshotExists";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ResourceExists;

    public ImageSnapshotExistsException(string image, string snapshot)
        : base(image, $"Image '{image}' already has a snapshot named '{snapshot}' (Remove-VirtImageSnapshot removes it).")
    {
        Snapshot = snapshot;
    }

    public string Snapshot { get; }
}

/// <summary>A size or option value that is not valid (checked before qemu-img runs).</summary>
public sealed class ImageArgumentException : StorageException
{
    /// <inheritdoc />
    public override string ErrorId => "ImageArgument";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidArgument;

    public ImageArgumentException(string image, string argument, string value, string problem)
        : base(image, $"Image '{image}': {argument} '{value}' {problem}.")
    {
        Argument = argument;
        Value = value;
    }

    public string Argument { get; }
    public string Value { get; }
}

/// <summary>The check after a test (<c>check_image = yes</c>) found an image damaged.</summary>
public sealed class ImageCheckFailedException : StorageException
{
    /// <inheritdoc />
    public override string ErrorId => "ImageCheckFailed";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidData;

    public ImageCheckFailedException(string image, ImageCheckResult result)
        : base(image, $"Image '{image}' failed its check: {result.Describe()}.")
    {
        Result = result;
    }

    public ImageCheckResult Result { get; }
}
