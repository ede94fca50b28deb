using VirtTest.Core.Session;
using Xunit;

namespace VirtTest.Core.Tests.Session;

/// <summary>dmesg -r output (util-linux and busybox print the same raw form) into messages with levels.</summary>
public sealed class GuestKernelLogTests
{
    [Fact]
    public void RawLinesGiveLevelTimestampAndTextWithTheFacilityMaskedOff()
    {
        var messages = GuestKernelLog.Parse(
            "<6>[    0.000000] Linux version 6.1.0\r\n" +
            "<3>[    1.234567] ata1: failed to resume link\n" +
            "  continued line\n" +
            "<12>[   10.5] user-space warning\n" +
            "<0>no timestamp here\n");
        Assert.Equal(4, messages.Count);
        Assert.Equal((KernelLogLevel.Info, (double?)0.0, "Linux version 6.1.0"), (messages[0].Level, messages[0].Timestamp, messages[0].Text));
        Assert.Equal(KernelLogLevel.Err, messages[1].Level);
        Assert.Equal("ata1: failed to resume link\n  continued line", messages[1].Text);
        // <12> is facility 1 (user), level 4.
        Assert.Equal(KernelLogLevel.Warning, messages[2].Level);
        Assert.Equal((KernelLogLevel.Emerg, (double?)null, "no timestamp here"), (messages[3].Level, messages[3].Timestamp, messages[3].Text));
        Assert.Contains("err: ata1", messages[1].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheErrorListsEveryMessageThatCounts()
    {
        var check = new KernelLogCheck("vm1 serial", KernelLogLevel.Err,
            new[] { new KernelLogMessage(KernelLogLevel.Crit, 2.5, "bad thing"), new KernelLogMessage(KernelLogLevel.Err, 3, "worse thing") }, 1);
        Assert.False(check.Passed);
        var ex = new GuestKernelLogException(check);
        Assert.Equal("GuestKernelLogMessages", ex.ErrorId);
        Assert.Contains("2 message(s) at level err or above", ex.Message, StringComparison.Ordinal);
        Assert.Contains("crit: bad thing", ex.Message, StringComparison.Ordinal);
        Assert.Contains("err: worse thing", ex.Message, StringComparison.Ordinal);
    }
}
