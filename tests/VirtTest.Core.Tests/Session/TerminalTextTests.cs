using VirtTest.Core.Session;
using Xunit;

namespace VirtTest.Core.Tests.Session;

public sealed class TerminalTextTests
{
    [Theory]
    [InlineData("[virttest]# \u001b[6n", "[virttest]# ")]            // busybox's cursor position query
    [InlineData("a\r\nb\r\n", "a\nb\n")]
    [InlineData("\u001b[1;32mgreen\u001b[0m", "green")]
    [InlineData("\u001b]0;title\u0007text", "text")]
    [InlineData("tab\there", "tab\there")]
    [InlineData("bell\u0007", "bell")]
    public void RemovesEscapeSequencesAndCarriageReturns(string raw, string clean) =>
        Assert.Equal(clean, TerminalText.Clean(raw));

    [Fact]
    public void HoldsBackAnEscapeSequenceSplitAcrossChunks()
    {
        var (complete, pending) = TerminalText.SplitPending("prompt# \u001b[");
        Assert.Equal("prompt# ", complete);
        Assert.Equal("\u001b[", pending);
        var (next, rest) = TerminalText.SplitPending(pending + "6nls\n");
        Assert.Equal("", rest);
        Assert.Equal("ls\n", TerminalText.Clean(next));
    }

    [Fact]
    public void PassesCompleteTextThrough()
    {
        Assert.Equal(("abc\u001b[0m", ""), TerminalText.SplitPending("abc\u001b[0m"));
        Assert.Equal(("abc", ""), TerminalText.SplitPending("abc"));
    }
}
