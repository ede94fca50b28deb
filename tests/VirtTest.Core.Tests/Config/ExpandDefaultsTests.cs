using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// Defaults mode with named blocks still expanded in full (the reference's expand option);
/// expected names from the reference parser.
/// </summary>
public class ExpandDefaultsTests
{
    private const string Text = """
        variants tests:
            - boot:
            - reboot:
        variants disk:
            - ide:
            - @virtio:
        variants guest:
            - @fedora:
            - debian:
        """;

    private static List<string> Names(params string[] expand)
    {
        var cfg = new CartesianConfig();
        cfg.ParseString(Cfg.Dedent(Text), "ed.cfg");
        return cfg.Expand(defaults: true, expandDefaults: expand).Select(p => p.ShortName).ToList();
    }

    [Fact]
    public void Defaults_mode_takes_the_default_of_every_block()
    {
        Assert.Equal(new[] { "boot", "reboot" }, Names());
    }

    [Fact]
    public void A_named_block_in_the_list_is_expanded_in_full()
    {
        Assert.Equal(new[] { "ide.boot", "ide.reboot", "boot", "reboot" }, Names("disk"));
    }

    [Fact]
    public void Several_blocks_can_be_expanded()
    {
        Assert.Equal(new[] { "ide.boot", "ide.reboot", "boot", "reboot", "debian.ide.boot", "debian.ide.reboot", "debian.boot", "debian.reboot" },
            Names("disk", "guest"));
    }

    [Fact]
    public void The_loader_passes_the_list_on()
    {
        var loaded = ConfigLoader.Load(new ConfigLoadOptions { Text = Cfg.Dedent(Text), Defaults = true, ExpandDefaults = new[] { "disk" }, UseCache = false });
        Assert.Equal(new[] { "ide.boot", "ide.reboot", "boot", "reboot" }, loaded.Expand().Select(p => p.ShortName));
    }
}
