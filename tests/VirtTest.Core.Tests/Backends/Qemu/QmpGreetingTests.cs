using VirtTest.Core.Backends.Qemu;

namespace VirtTest.Core.Tests.Backends.Qemu;

public class QmpGreetingTests
{
    [Fact]
    public void Parse_ReadsVersionPackageAndCapabilities()
    {
        // What QEMU 7.2 on Debian 12 sends.
        var greeting = QmpGreeting.Parse(
            """{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}}""");

        Assert.Equal((7, 2, 22), (greeting.Major, greeting.Minor, greeting.Micro));
        Assert.Equal("Debian 1:7.2+dfsg-7+deb12u18+b3", greeting.Package);
        Assert.Equal(new[] { "oob" }, greeting.Capabilities);
        Assert.Equal("QEMU 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)", greeting.ToString());
    }

    [Fact]
    public void Parse_ToleratesAMissingPackageAndCapabilities()
    {
        var greeting = QmpGreeting.Parse("""{"QMP": {"version": {"qemu": {"micro": 0, "minor": 0, "major": 9}}}}""");

        Assert.Equal("", greeting.Package);
        Assert.Empty(greeting.Capabilities);
        Assert.Equal("QEMU 9.0.0", greeting.ToString());
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1]")]
    [InlineData("""{"return": {}}""")]
    [InlineData("""{"QMP": {"capabilities": []}}""")]
    [InlineData("""{"QMP": {"version": {"qemu": {"major": 7, "minor": 2}}}}""")]
    public void Parse_RejectsWhatIsNotAGreeting(string line)
    {
        Assert.Throws<FormatException>(() => QmpGreeting.Parse(line));
    }
}
