using System.Buffers.Binary;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// The format and virtual size of a disk image on a Xen host, read from its first bytes (a
/// host reached over SSH need not have qemu-img): qcow2 and qcow by their magic "QFI\xfb"
/// and version (size at byte 24, big-endian), a dynamic VHD by the copy of its footer
/// ("conectix", size at byte 48), QED by "QED\0" (size at byte 48, little-endian), anything
/// else raw (size = length).
/// </summary>
internal static class HostImageHeader
{
    /// <summary>Bytes to read: the qcow header up to its size field; VHD's footer copy is longer but its cookie comes first.</summary>
    public const int Length = 512;

    public static string Format(XenHostFile file)
    {
        var h = file.Head;
        if (h.Length >= 8 && h[0] == 'Q' && h[1] == 'F' && h[2] == 'I' && h[3] == 0xFB)
            return BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(4)) == 1 ? "qcow" : "qcow2";
        if (h.Length >= 8 && System.Text.Encoding.ASCII.GetString(h, 0, 8) == "conectix") return "vhd";
        if (h.Length >= 4 && h[0] == 'Q' && h[1] == 'E' && h[2] == 'D' && h[3] == 0) return "qed";
        return "raw";
    }

    /// <summary>The size the guest sees, when the format is one read here; null otherwise.</summary>
    public static long? VirtualSize(XenHostFile file, string? format)
    {
        format ??= Format(file);
        var h = file.Head;
        return format switch
        {
            "raw" => file.Length,
            "qcow2" or "qcow" when h.Length >= 32 => (long)BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(24)),
            "vhd" when h.Length >= 56 => (long)BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(48)),
            "qed" when h.Length >= 56 => (long)BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(48)),
            _ => null,
        };
    }
}
