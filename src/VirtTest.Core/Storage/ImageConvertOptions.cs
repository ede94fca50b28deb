namespace VirtTest.Core.Storage;

/// <summary>What <c>qemu-img convert</c> writes: the destination's format and options.</summary>
public sealed class ImageConvertOptions
{
    /// <summary>The destination's format (<c>-O</c>).</summary>
    public string Format { get; init; } = "qcow2";

    /// <summary>The source's format (<c>-f</c>); probed when null.</summary>
    public string? SourceFormat { get; init; }

    /// <summary>Compress the destination (<c>-c</c>; qcow2 and vmdk).</summary>
    public bool Compress { get; init; }

    public ImagePreallocation? Preallocation { get; init; }

    public string? ClusterSize { get; init; }

    /// <summary>Read a source a running VM holds (<c>-U</c>; its data may be inconsistent).</summary>
    public bool ForceShare { get; init; }

    /// <summary>Overwrite an existing destination.</summary>
    public bool Overwrite { get; init; }
}
