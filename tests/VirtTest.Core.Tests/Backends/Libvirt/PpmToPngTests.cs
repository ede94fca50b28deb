using System.Text;
using VirtTest.Core.Backends.Libvirt;

namespace VirtTest.Core.Tests.Backends.Libvirt;

[Trait("Category", "Libvirt")]
public sealed class PpmToPngTests
{
    [Fact]
    public void PixelsSurviveTheConversion()
    {
        const int w = 3, h = 2;
        var pixels = Enumerable.Range(0, w * h * 3).Select(i => (byte)(i * 13 + 7)).ToArray();
        var ppm = Encoding.ASCII.GetBytes($"P6\n# a comment\n{w} {h}\n255\n").Concat(pixels).ToArray();
        var png = PpmToPng.Convert(ppm);
        var raw = PngAssert.Valid(png, out var width, out var height);
        Assert.Equal((w, h), (width, height));
        Assert.Equal(h * (1 + w * 3), raw.Length);
        for (var y = 0; y < h; y++)
        {
            Assert.Equal(0, raw[y * (1 + w * 3)]);        // filter type None
            Assert.Equal(pixels.AsSpan(y * w * 3, w * 3).ToArray(), raw.AsSpan(y * (1 + w * 3) + 1, w * 3).ToArray());
        }
    }

    [Theory]
    [InlineData("P5\n1 1\n255\n\0")]
    [InlineData("P6\n2 2\n255\nabc")]
    [InlineData("P6\n1 1\n65535\nabcdef")]
    public void BadInputIsAFormatError(string text)
    {
        Assert.Throws<FormatException>(() => PpmToPng.Convert(Encoding.Latin1.GetBytes(text)));
    }
}
