using VirtTest.Core.Tests.Config;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Vm;

/// <summary>The README's backend capability table is generated from the code and must not drift.</summary>
public sealed class CapabilityTableTests
{
    // Found from the test assembly's folder: CallerFilePath is "/_/..." in CI's deterministic builds.
    private static string ReadmePath() => Path.Combine(TestPaths.RepoRoot, "README.md");

    [Fact]
    public void ReadmeTableMatchesTheBackendsCapabilitySets()
    {
        var readme = File.ReadAllText(ReadmePath());
        var expected = CapabilityTable.ReplaceRegion(readme);
        Assert.True(expected == readme,
            "README.md's capability table (between " + CapabilityTable.StartMarker + " and " + CapabilityTable.EndMarker + ") differs from the code's capability sets. " +
            "Regenerate it: dotnet pwsh ./build.ps1 -Task Build; dotnet pwsh ./build/Update-CapabilityTable.ps1\n--- README has:\n" +
            CapabilityTable.CurrentRegion(readme) + "\n--- code generates:\n" + CapabilityTable.ToMarkdown());
    }

    [Fact]
    public void OneColumnPerBackendOrVariantAndOneRowPerCapability()
    {
        var columns = CapabilityTable.Columns().Select(c => c.Header).ToList();
        Assert.Contains("qemu", columns);
        Assert.Contains("xen (hvm, not verified)", columns);
        Assert.Contains("xen (pv, verified on Xen 4.17)", columns);
        Assert.Contains("xen (pvh, verified on Xen 4.17)", columns);
        var lines = CapabilityTable.ToMarkdown().TrimEnd('\n').Split('\n');
        Assert.Equal(2 + Enum.GetValues<VmCapability>().Length - 1, lines.Length);
        Assert.All(lines, l => Assert.Equal(columns.Count + 2, l.Count(c => c == '|') - 1));
    }

    [Fact]
    public void CellsSayYesExactlyForTheCapabilitiesInTheSet()
    {
        var table = CapabilityTable.ToMarkdown(new[] { ("a", VmCapability.Pause | VmCapability.Reset), ("b", VmCapability.None) });
        Assert.Contains("| `Pause` | Pause / resume (`Suspend-`/`Resume-VirtVm`) | yes | no |", table);
        Assert.Contains("| `Reset` | System reset | yes | no |", table);
        Assert.Contains("| `Screendump` | Screenshot (`Save-VirtScreenshot`) | no | no |", table);
    }

    [Fact]
    public void ReplaceRegionKeepsTheTextAroundTheMarkersAndNeedsBoth()
    {
        var readme = "intro\n" + CapabilityTable.StartMarker + "\nold\n" + CapabilityTable.EndMarker + "\noutro\n";
        var updated = CapabilityTable.ReplaceRegion(readme, "| t |\n");
        Assert.Equal("intro\n" + CapabilityTable.StartMarker + "\n| t |\n" + CapabilityTable.EndMarker + "\noutro\n", updated);
        Assert.Equal(updated, CapabilityTable.ReplaceRegion(updated, "| t |\n"));
        var ex = Assert.Throws<FormatException>(() => CapabilityTable.ReplaceRegion("no markers"));
        Assert.Contains(CapabilityTable.StartMarker, ex.Message);
    }
}
