using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Vm;

public sealed class VmRegistryTests
{
    [Theory]
    [InlineData("vm*", "vm12", true)]
    [InlineData("vm?", "vm12", false)]
    [InlineData("x[ab]1", "xb1", true)]
    [InlineData("x[ab]1", "xc1", false)]
    [InlineData("x[a-c]1", "xc1", true)]
    [InlineData("VM1", "vm1", true)]
    [InlineData("a`*b", "a*b", true)]
    [InlineData("a`*b", "axb", false)]
    [InlineData("a.b", "axb", false)]
    [InlineData("[unclosed", "[unclosed", true)]
    public void WildcardsFollowPowerShellRules(string pattern, string name, bool matches) =>
        Assert.Equal(matches, VmRegistry.WildcardToRegex(pattern).IsMatch(name));
}
