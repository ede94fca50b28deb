using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// Every dict carries <c>_name_map_file</c> and <c>_short_name_map_file</c>: per config file, the
/// names of the variants taken from it, as the reference writes them (checked against it).
/// </summary>
public class NameMapFileTests
{
    private static List<VirtParams> Expand()
    {
        using var dir = new TempDir();
        dir.Write("maps-inc.cfg", """
            variants:
                - boot:
                - reboot:
            """);
        var main = dir.Write("maps.cfg", """
            _name_map_file = ignored: the key is the engine's
            include maps-inc.cfg
            variants os:
                - Linux:
                    variants:
                        - @RHEL:
                        - Fedora:
                - Win:
            m = ${_short_name_map_file}
            """);
        var cfg = new CartesianConfig();
        cfg.ParseFile(main);
        return cfg.Expand().ToList();
    }

    [Fact]
    public void Maps_name_the_variants_of_each_file_in_name_order()
    {
        var first = Expand()[0];
        Assert.Equal("(os=Linux).RHEL.boot", first.Name);
        Assert.Equal("{'maps-inc.cfg': 'boot', 'maps.cfg': '(os=Linux).RHEL'}", first["_name_map_file"]);
        // Short names keep default variants (RHEL), unlike the shortname key.
        Assert.Equal("{'maps-inc.cfg': 'boot', 'maps.cfg': 'Linux.RHEL'}", first["_short_name_map_file"]);
        Assert.Equal("Linux.boot", first.ShortName);
    }

    [Fact]
    public void Maps_stand_after_the_first_variant_and_cannot_be_assigned()
    {
        var keys = Expand()[0].Keys.ToList();
        Assert.Equal(new[] { "name", "dep", "shortname", "_name_map_file", "_short_name_map_file", "os", "m" }, keys);
    }

    [Fact]
    public void Maps_substitute_as_their_text()
    {
        var last = Expand()[^1];
        Assert.Equal("(os=Win).reboot", last.Name);
        Assert.Equal("{'maps-inc.cfg': 'reboot', 'maps.cfg': 'Win'}", last["m"]);
    }

    [Fact]
    public void The_accessors_read_the_maps_as_dictionaries()
    {
        var p = Expand()[2];
        Assert.Equal("(os=Linux).Fedora.boot", p.Name);
        Assert.Equal("Linux.Fedora", p.ShortNameMapFile["maps.cfg"]);
        Assert.Equal("(os=Linux).Fedora", p.NameMapFile["maps.cfg"]);
        Assert.Equal("boot", p.NameMapFile["maps-inc.cfg"]);
        Assert.Empty(new VirtParams().NameMapFile);
    }

    [Theory]
    [InlineData("{'a.cfg': 'x.y'}", "a.cfg", "x.y")]
    [InlineData("{\"it's.cfg\": 'a\\\\b'}", "it's.cfg", "a\\b")]
    public void Map_text_reads_back(string text, string file, string names)
    {
        Assert.Equal(names, FileMap.Parse(text)[file]);
    }

    [Fact]
    public void A_value_that_is_no_map_reads_as_empty()
    {
        Assert.Empty(FileMap.Parse("x"));
        Assert.Empty(FileMap.Parse("{'a': 'b'"));
    }

    [Fact]
    public void Strings_map_under_their_own_name()
    {
        var p = Cfg.Expand("""
            variants:
                - a:
            """).Single();
        Assert.Equal("{'test.cfg': 'a'}", p["_name_map_file"]);
    }
}
