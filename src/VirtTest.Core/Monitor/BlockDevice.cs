namespace VirtTest.Core.Monitor;

/// <summary>
/// A disk of a running VM as its hypervisor reports it: the device id (the one given to
/// <c>Add-VirtDisk</c>, or the image name of a disk from the params), the image file and
/// format, whether it is read-only or removable, and the virtual size.
/// </summary>
public sealed record BlockDevice
{
    /// <summary>The VM it belongs to (set by VirtualMachine).</summary>
    public string VmName { get; init; } = "";

    /// <summary>The device's id (QEMU's qdev id, libvirt's alias, Xen's virtual device).</summary>
    public required string Id { get; init; }

    /// <summary>The hypervisor's name of the image node (QEMU's node name; libvirt's target dev such as vdb).</summary>
    public string? NodeName { get; init; }

    /// <summary>The image file on the host (the top of its chain).</summary>
    public string? File { get; init; }

    public string? Format { get; init; }

    /// <summary>The file the top image's data falls through to, when it has one.</summary>
    public string? BackingFile { get; init; }

    public bool ReadOnly { get; init; }

    public bool Removable { get; init; }

    /// <summary>Virtual size in bytes (0 when the hypervisor does not say).</summary>
    public long Size { get; init; }

    /// <summary>The bus the guest sees it on (virtio, scsi, usb, ide, xen), when known.</summary>
    public string? Bus { get; init; }

    public override string ToString() => $"{Id}: {File} ({Format})";
}
