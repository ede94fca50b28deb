namespace VirtTest.Core.Storage;

/// <summary>qemu-img's <c>preallocation</c> option: how much of the image is allocated up front.</summary>
public enum ImagePreallocation
{
    /// <summary>Allocate on write (sparse; the default).</summary>
    Off,

    /// <summary>qcow2: write all metadata now, data on write.</summary>
    Metadata,

    /// <summary>Reserve the space with fallocate (fast, no zeroes written).</summary>
    Falloc,

    /// <summary>Write the whole image (slow; no allocation later).</summary>
    Full,
}

internal static class ImagePreallocationNames
{
    /// <summary>The name qemu-img takes.</summary>
    public static string ToQemu(this ImagePreallocation mode) => mode.ToString().ToLowerInvariant();
}
