using VirtTest.Core.Storage;

namespace VirtTest.Core.Tests.Storage;

public sealed class ImageSizeTests
{
    [Theory]
    [InlineData("1073741824", 1073741824L)]
    [InlineData("10G", 10L << 30)]
    [InlineData("10g", 10L << 30)]
    [InlineData("512M", 512L << 20)]
    [InlineData("512k", 512L << 10)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("16MB", 16L << 20)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("100b", 100L)]
    [InlineData(" 1T ", 1L << 40)]
    [InlineData("1E", 1L << 60)]
    public void Parses_bytes_and_binary_units(string text, long bytes) => Assert.Equal(bytes, ImageSize.TryParse(text));

    [Theory]
    [InlineData("")]
    [InlineData("big")]
    [InlineData("1.5")]   // a fraction of a byte
    [InlineData("10X")]
    [InlineData("16E")]   // past long.MaxValue
    [InlineData("+1G")]   // relative: only for resize
    [InlineData(null)]
    public void Rejects_what_is_not_an_absolute_size(string? text) => Assert.Null(ImageSize.TryParse(text));

    [Theory]
    [InlineData("+1G", 1, 1L << 30)]
    [InlineData("-512M", -1, 512L << 20)]
    [InlineData("20G", 0, 20L << 30)]
    public void Resize_sizes_may_be_relative(string text, int sign, long bytes) => Assert.Equal((sign, (long?)bytes), ImageSize.TryParseSigned(text));

    [Fact]
    public void A_bad_size_is_a_typed_error_naming_image_argument_and_value()
    {
        var ex = Assert.Throws<ImageArgumentException>(() => ImageSize.Parse("ten gigs", "/images/a.qcow2", "size"));
        Assert.Equal("/images/a.qcow2", ex.Image);
        Assert.Equal("ImageArgument", ex.ErrorId);
        Assert.Contains("'ten gigs'", ex.Message);
        Assert.Contains("/images/a.qcow2", ex.Message);
    }

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1L << 30, "1 GiB")]
    [InlineData(205_312L, "200.5 KiB")]
    public void Formats_in_binary_units(long bytes, string text) => Assert.Equal(text, ImageSize.Format(bytes));
}
