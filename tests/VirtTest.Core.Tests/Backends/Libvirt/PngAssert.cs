using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace VirtTest.Core.Tests.Backends.Libvirt;

/// <summary>Checks a PNG the way a decoder would: signature, chunk CRCs, IHDR, and that IDAT inflates.</summary>
internal static class PngAssert
{
    public static byte[] Valid(byte[] png, out int width, out int height)
    {
        Assert.True(png.Length > 8 && png.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), "PNG signature");
        var pos = 8;
        width = height = 0;
        using var idat = new MemoryStream();
        var sawEnd = false;
        while (pos < png.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            var type = Encoding.ASCII.GetString(png, pos + 4, 4);
            var data = png.AsSpan(pos + 8, length);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + length));
            Assert.Equal(Crc(png.AsSpan(pos + 4, 4 + length)), crc);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
            }
            if (type == "IDAT") idat.Write(data);
            if (type == "IEND") { sawEnd = true; break; }
            pos += 12 + length;
        }
        Assert.True(sawEnd, "IEND chunk");
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        return raw.ToArray();
    }

    private static uint Crc(ReadOnlySpan<byte> data)
    {
        // Independent of the encoder's table: the bitwise definition.
        var c = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            c ^= b;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        return c ^ 0xFFFFFFFFu;
    }
}
