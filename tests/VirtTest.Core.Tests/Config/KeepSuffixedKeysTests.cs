using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// Keeping suffixed keys (the reference's <c>skipdups=False</c>): keys renamed by <c>suffix</c> keep
/// their suffixed names even where the value equals the plain key's. Checked against the reference.
/// </summary>
public class KeepSuffixedKeysTests
{
    private const string Text = """
        mem = 1024
        variants:
            - vm1:
                suffix _vm1
            - vm2:
                mem = 2048
                suffix _vm2
        """;

    private static List<VirtParams> Expand(bool keep)
    {
        var cfg = new CartesianConfig();
        cfg.ParseString(Cfg.Dedent(Text), "keep.cfg");
        return cfg.Expand(keepSuffixedKeys: keep).ToList();
    }

    [Fact]
    public void By_default_equal_suffixed_keys_fold_into_the_plain_key()
    {
        var d = Expand(keep: false);
        Assert.Equal("1024", d[0]["mem"]);
        Assert.False(d[0].ContainsKey("mem_vm1"));
        Assert.Equal("2048", d[1]["mem"]);
    }

    [Fact]
    public void Kept_duplicates_stay_under_their_suffixed_names()
    {
        var d = Expand(keep: true);
        Assert.Equal("1024", d[0]["mem_vm1"]);
        Assert.False(d[0].ContainsKey("mem"));
        Assert.Equal("2048", d[1]["mem_vm2"]);
        Assert.False(d[1].ContainsKey("mem"));
    }
}
