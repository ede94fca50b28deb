using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace VirtTest.Core.Backends.Libvirt;

/// <summary>
/// Converts a binary PPM (P6, what QEMU's screendump gives through libvirt's screenshot
/// stream) into a PNG: 8-bit RGB, filter 0 on every row, zlib-compressed IDAT.
/// </summary>
public static class PpmToPng
{
    private static readonly byte[] Signature = { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A };

    /// <summary>True when <paramref name="data"/> starts with the PNG signature.</summary>
    public static bool IsPng(ReadOnlySpan<byte> data) => data.Length >= 8 && data[..8].SequenceEqual(Signature);

    public static byte[] Convert(ReadOnlySpan<byte> ppm)
    {
        var pos = 0;
        if (NextToken(ppm, ref pos) != "P6") throw new FormatException("Not a binary PPM (P6) image.");
        var width = NextInt(ppm, ref pos, "width");
        var height = NextInt(ppm, ref pos, "height");
        var max = NextInt(ppm, ref pos, "maximum value");
        if (max != 255) throw new FormatException($"PPM maximum value {max} is not supported (only 255).");
        pos++; // the single whitespace byte after the header
        var rowBytes = width * 3;
        if ((long)rowBytes * height > ppm.Length - pos)
            throw new FormatException($"PPM data is truncated: {width}x{height} needs {(long)rowBytes * height} bytes, {ppm.Length - pos} present.");

        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            for (var y = 0; y < height; y++)
            {
                z.WriteByte(0); // filter type None
                z.Write(ppm.Slice(pos + y * rowBytes, rowBytes));
            }
        }

        using var png = new MemoryStream();
        png.Write(Signature);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;  // bit depth
        header[9] = 2;  // colour type RGB
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", raw.ToArray());
        WriteChunk(png, "IEND", Array.Empty<byte>());
        return png.ToArray();
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(four, data.Length);
        s.Write(four);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        var crc = Crc32.Update(Crc32.Update(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(four, crc);
        s.Write(four);
    }

    private static string NextToken(ReadOnlySpan<byte> d, ref int pos)
    {
        while (pos < d.Length)
        {
            if (d[pos] == '#') { while (pos < d.Length && d[pos] != '\n') pos++; }
            else if (d[pos] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') pos++;
            else break;
        }
        var start = pos;
        while (pos < d.Length && d[pos] is not ((byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')) pos++;
        return Encoding.ASCII.GetString(d[start..pos]);
    }

    private static int NextInt(ReadOnlySpan<byte> d, ref int pos, string what)
    {
        var token = NextToken(d, ref pos);
        if (!int.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n <= 0)
            throw new FormatException($"PPM header: bad {what} '{token}'.");
        return n;
    }

    /// <summary>The CRC-32 of PNG chunks (ISO 3309 polynomial, reflected).</summary>
    internal static class Crc32
    {
        private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
        {
            var c = (uint)n;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            return c;
        }).ToArray();

        public static uint Update(uint crc, ReadOnlySpan<byte> data)
        {
            foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc;
        }
    }
}
