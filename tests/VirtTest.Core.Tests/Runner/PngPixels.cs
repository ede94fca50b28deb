using System.Buffers.Binary;
using System.IO.Compression;

namespace VirtTest.Core.Tests.Runner;

/// <summary>A minimal PNG reader (8-bit RGB/RGBA, not interlaced: what Chromium's screenshots are), for checking rendered pages.</summary>
internal sealed class PngPixels
{
    public int Width { get; private init; }
    public int Height { get; private init; }
    private byte[] _rgb = Array.Empty<byte>();

    public (byte R, byte G, byte B) this[int x, int y] => (_rgb[(y * Width + x) * 3], _rgb[(y * Width + x) * 3 + 1], _rgb[(y * Width + x) * 3 + 2]);

    public static PngPixels Read(string path)
    {
        var data = File.ReadAllBytes(path);
        if (data.Length < 8 || BinaryPrimitives.ReadUInt64BigEndian(data) != 0x89504E470D0A1A0AUL) throw new InvalidDataException("not a PNG");
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (var pos = 8; pos + 8 <= data.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(pos));
            var type = System.Text.Encoding.ASCII.GetString(data, pos + 4, 4);
            var body = data.AsSpan(pos + 8, length);
            if (type == "IHDR")
            {
                width = (int)BinaryPrimitives.ReadUInt32BigEndian(body);
                height = (int)BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                if (body[8] != 8 || body[12] != 0) throw new InvalidDataException("only 8-bit, non-interlaced PNGs");
                channels = body[9] switch { 2 => 3, 6 => 4, _ => throw new InvalidDataException($"colour type {body[9]} not supported") };
            }
            else if (type == "IDAT")
            {
                idat.Write(body);
            }
            pos += 12 + length;
        }
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.CopyTo(inflated);
        var raw = inflated.ToArray();
        var stride = width * channels;
        var previous = new byte[stride];
        var current = new byte[stride];
        var rgb = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            Array.Copy(raw, y * (stride + 1) + 1, current, 0, stride);
            for (var i = 0; i < stride; i++)
            {
                int a = i >= channels ? current[i - channels] : 0, b = previous[i], c = i >= channels ? previous[i - channels] : 0;
                current[i] = (byte)(current[i] + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"filter {filter}"),
                });
            }
            for (var x = 0; x < width; x++) Array.Copy(current, x * channels, rgb, (y * width + x) * 3, 3);
            (previous, current) = (current, previous);
        }
        return new PngPixels { Width = width, Height = height, _rgb = rgb };
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>How many pixels are (nearly) this colour.</summary>
    public int Count((byte R, byte G, byte B) colour, int tolerance = 8)
    {
        var n = 0;
        for (var i = 0; i < _rgb.Length; i += 3)
        {
            if (Math.Abs(_rgb[i] - colour.R) <= tolerance && Math.Abs(_rgb[i + 1] - colour.G) <= tolerance && Math.Abs(_rgb[i + 2] - colour.B) <= tolerance) n++;
        }
        return n;
    }

    public int DistinctColours() => Enumerable.Range(0, _rgb.Length / 3).Select(i => (_rgb[i * 3] << 16) | (_rgb[i * 3 + 1] << 8) | _rgb[i * 3 + 2]).Distinct().Count();
}
