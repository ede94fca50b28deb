using System.Text;
using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>The parse cache's file hash: 32 lower-case hex digits of the two 64-bit lanes, high digits first.</summary>
public class ContentHashTests
{
    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("exactly8")]
    [InlineData("variants:\n    - one:\n    - two:\n")]
    public void Text_is_both_lanes_in_hex(string content)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        var (a, b) = ContentHash.Compute(bytes);
        Assert.Equal(a.ToString("x16") + b.ToString("x16"), ContentHash.Of(bytes));
    }

    [Fact]
    public void One_changed_byte_changes_the_hash()
    {
        var bytes = Encoding.UTF8.GetBytes("key = value\nother = 1\n");
        var before = ContentHash.Of(bytes);
        bytes[^2] = (byte)'2';
        Assert.NotEqual(before, ContentHash.Of(bytes));
        Assert.Matches("^[0-9a-f]{32}$", before);
    }
}
