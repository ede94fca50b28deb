using VirtTest.Core.Backends.Xen;
using Xunit;

namespace VirtTest.Core.Tests.Backends.Xen;

/// <summary>
/// Parsing of xl's output, with samples in the format xl's sources print (xl_list.c,
/// xl_pci.c), not captured from a Xen host.
/// </summary>
public sealed class XenWithoutHypervisor_XlOutputTests
{
    private const string List =
        "Name                                        ID   Mem VCPUs\tState\tTime(s)\n" +
        "Domain-0                                     0  2048     2     r-----     123.4\n" +
        "vt-vm1-0123abcd--incoming                    4   512     1     --p---       0.0\n" +
        "vt-vm1-0123abcd                              3   512     1     -b----       2.5\n" +
        "my guest                                     5   256     1     ---s--       1.0\n";

    [Theory]
    [InlineData("vt-vm1-0123abcd", "-b----")]
    [InlineData("vt-vm1-0123abcd--incoming", "--p---")]
    [InlineData("my guest", "---s--")]
    [InlineData("vt-vm1", null)]
    public void StateFlagsAreReadForTheExactDomainName(string name, string? flags) =>
        Assert.Equal(flags, XlOutput.StateFlags(List, name));

    [Theory]
    [InlineData("r-----", true, false, false, false, XlShutdownReason.PowerOff, false)]
    [InlineData("-b----", false, true, false, false, XlShutdownReason.PowerOff, false)]
    [InlineData("--p---", false, false, true, false, XlShutdownReason.PowerOff, false)]
    [InlineData("---s--", false, false, false, true, XlShutdownReason.PowerOff, false)]
    // A triple fault of a nested PVH guest, as CI's xl printed it: paused, shut down to reboot.
    [InlineData("--psr-", false, false, true, true, XlShutdownReason.Reboot, false)]
    [InlineData("---ss-", false, false, false, true, XlShutdownReason.Suspend, false)]
    [InlineData("---sc-", false, false, false, true, XlShutdownReason.Crash, false)]
    [InlineData("---swd", false, false, false, true, XlShutdownReason.Watchdog, true)]
    [InlineData("---sS-", false, false, false, true, XlShutdownReason.SoftReset, false)]
    [InlineData("---s?-", false, false, false, true, XlShutdownReason.Unknown, false)]
    [InlineData("-----d", false, false, false, false, XlShutdownReason.PowerOff, true)]
    public void StateColumnIsReadByPlaceWithTheShutdownReasonLetter(string flags, bool running, bool blocked, bool paused, bool shutdown, XlShutdownReason reason, bool dying) =>
        Assert.Equal(new XlDomainState(running, blocked, paused, shutdown, reason, dying), XlDomainState.Parse(flags));

    [Theory]
    [InlineData("")]
    [InlineData("--p--")]
    [InlineData("r------")]
    public void AStateColumnOfAnotherWidthIsRefused(string flags) =>
        Assert.Contains($"'{flags}'", Assert.Throws<FormatException>(() => XlDomainState.Parse(flags)).Message);

    [Fact]
    public void PciListGivesGuestSlotFunctionAndHostAddress()
    {
        var devices = XlOutput.PciList("Vdev Device\n04.0 0000:03:00.0\n1f.7 0001:af:1c.3\nlibxl: warning: something\n");
        Assert.Equal(2, devices.Count);
        Assert.Equal((0, 4, 0, "0000:03:00.0"), (devices[0].Bus, devices[0].Slot, devices[0].Function, devices[0].QdevId));
        Assert.Equal((0x1f, 7, "0001:af:1c.3"), (devices[1].Slot, devices[1].Function, devices[1].QdevId));
        Assert.Empty(XlOutput.PciList("Vdev Device\n"));
    }

    [Theory]
    [InlineData("03:00.0", "0000:03:00.0")]
    [InlineData("0000:AF:1C.3", "0000:af:1c.3")]
    [InlineData(" 0001:00:02.1 ", "0001:00:02.1")]
    [InlineData("03:00.8", null)]
    [InlineData("3:0.0", null)]
    [InlineData("0000:03:00.0,permissive=1", null)]
    public void HostAddressesAreNormalizedOrRefused(string text, string? bdf) =>
        Assert.Equal(bdf, XlOutput.NormalizeBdf(text));
}
