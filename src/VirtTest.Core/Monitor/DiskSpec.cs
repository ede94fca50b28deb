namespace VirtTest.Core.Monitor;

/// <summary>The bus a hot-plugged disk appears on in the guest.</summary>
public enum DiskBus
{
    /// <summary>virtio-blk (QEMU: virtio-blk-pci; the guest sees /dev/vdX).</summary>
    Virtio,

    /// <summary>SCSI disk on a virtio-scsi controller (QEMU: scsi-hd on virtio-scsi-pci; /dev/sdX).</summary>
    Scsi,

    /// <summary>USB mass storage (QEMU: usb-storage on a qemu-xhci controller).</summary>
    Usb,
}

/// <summary>A disk to hot-plug: an existing image file on a bus, with an id to find and remove it by.</summary>
public sealed record DiskSpec(string Path)
{
    /// <summary>The image's format; read from the file (qemu-img info) when null.</summary>
    public string? Format { get; init; }

    public DiskBus Bus { get; init; } = DiskBus.Virtio;

    /// <summary>The device id; generated when null.</summary>
    public string? Id { get; init; }

    public bool ReadOnly { get; init; }

    /// <summary>A serial number the guest sees (/dev/disk/by-id), when set.</summary>
    public string? Serial { get; init; }
}
