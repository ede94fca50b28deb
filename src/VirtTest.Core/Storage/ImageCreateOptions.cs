namespace VirtTest.Core.Storage;

/// <summary>What <c>qemu-img create</c> makes: format, size, backing file and format options.</summary>
public sealed class ImageCreateOptions
{
    public string Format { get; init; } = "qcow2";

    /// <summary>The virtual size ("10G", "512M", bytes); may be null with a backing file (its size is taken).</summary>
    public string? Size { get; init; }

    /// <summary>The backing file (an overlay is created on it); recorded as given, so give a full path.</summary>
    public string? BackingFile { get; init; }

    /// <summary>The backing file's format; when null it is read from the backing file with qemu-img info.</summary>
    public string? BackingFormat { get; init; }

    public ImagePreallocation? Preallocation { get; init; }

    /// <summary>Cluster size ("64K", "2M", bytes): qcow2, qed and vdi have one.</summary>
    public string? ClusterSize { get; init; }

    /// <summary>
    /// Do not open the backing file (<c>qemu-img create -u</c>): for an overlay on an image a
    /// running VM holds (a live snapshot). Needs <see cref="BackingFormat"/> and <see cref="Size"/>.
    /// </summary>
    public bool UnsafeBacking { get; init; }

    /// <summary>More <c>-o</c> options in qemu-img's own syntax ("lazy_refcounts=on,compat=1.1").</summary>
    public string? ExtraOptions { get; init; }
}
