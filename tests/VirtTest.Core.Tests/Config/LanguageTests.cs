using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>One test (or a few) per rule of the language.</summary>
public class LanguageTests
{
    [Fact]
    public void Assignment_operators_append_prepend_without_spaces()
    {
        var p = Cfg.Expand("""
            a = x
            a += y
            a <= w
            b += only
            c <= first
            """).Single();
        Assert.Equal("wxy", p["a"]);
        Assert.Equal("only", p["b"]);
        Assert.Equal("first", p["c"]);
    }

    [Fact]
    public void Regex_operators_touch_only_existing_keys()
    {
        var p = Cfg.Expand("""
            img_a = 1
            img_b = 2
            other = 3
            img_.* ?+= x
            img_.* ?<= y
            nothing_.* ?= z
            """).Single();
        Assert.Equal("y1x", p["img_a"]);
        Assert.Equal("y2x", p["img_b"]);
        Assert.Equal("3", p["other"]);
        Assert.False(p.ContainsKey("nothing_.*"));
        Assert.DoesNotContain(p.Keys, k => k.StartsWith("nothing", StringComparison.Ordinal));
    }

    [Fact]
    public void Regex_set_is_anchored_at_both_ends()
    {
        var p = Cfg.Expand("""
            ab = 1
            xab = 2
            abx = 3
            ab ?= 9
            """).Single();
        Assert.Equal("9", p["ab"]);
        Assert.Equal("2", p["xab"]);
        Assert.Equal("3", p["abx"]);
    }

    [Fact]
    public void Lazy_set_only_sets_missing_keys()
    {
        var ps = Cfg.Expand("""
            variants:
                - has:
                    k = old
                - lacks:
            k ~= new
            """);
        Assert.Equal("old", ps[0]["k"]);
        Assert.Equal("new", ps[1]["k"]);
    }

    [Fact]
    public void Quotes_are_stripped_only_when_matching_at_both_ends()
    {
        var p = Cfg.Expand("""
            a = "x y"
            b = 'z'
            c = "unbalanced'
            d = ""
            """).Single();
        Assert.Equal("x y", p["a"]);
        Assert.Equal("z", p["b"]);
        Assert.Equal("\"unbalanced'", p["c"]);
        Assert.Equal("", p["d"]);
    }

    [Fact]
    public void Comments_and_blank_lines_are_ignored_but_hash_in_values_is_kept()
    {
        var p = Cfg.Expand("""
            # comment
            // another

            a = b # not a comment
            """).Single();
        Assert.Equal("b # not a comment", p["a"]);
    }

    [Fact]
    public void Later_blocks_vary_slowest_and_come_first_in_names()
    {
        Assert.Equal(new[] { "x.a", "x.b", "y.a", "y.b" }, Cfg.Names("""
            variants:
                - a:
                - b:
            variants:
                - x:
                - y:
            """));
    }

    [Fact]
    public void Named_blocks_set_a_key_and_use_the_long_form_in_full_names()
    {
        var ps = Cfg.Expand("""
            variants disk:
                - ide:
                - scsi:
            """);
        Assert.Equal(new[] { "(disk=ide)", "(disk=scsi)" }, ps.Select(p => p.Name));
        Assert.Equal(new[] { "ide", "scsi" }, ps.Select(p => p["disk"]));
        Assert.Equal(new[] { "ide", "scsi" }, ps.Select(p => p.ShortName));
    }

    [Fact]
    public void Default_variants_are_hidden_from_short_names_and_alone_in_defaults_mode()
    {
        const string text = """
            variants:
                - a:
                - @b:
                - c:
            variants nic [default=virtio]:
                - e1000:
                - virtio:
            """;
        Assert.Equal(new[] { "e1000.a", "e1000", "e1000.c", "a", "", "c" }, Cfg.Expand(text).Select(p => p.ShortName));
        var defaults = Cfg.Expand(text, defaults: true);
        Assert.Equal(new[] { "(nic=virtio).b" }, defaults.Select(p => p.Name));
    }

    [Fact]
    public void Defaults_mode_falls_back_to_all_variants_when_the_default_is_filtered_out()
    {
        var names = Cfg.Expand("""
            variants:
                - @a:
                - b:
                - c:
            no a
            """, defaults: true).Select(p => p.Name);
        Assert.Equal(new[] { "b", "c" }, names);
    }

    [Fact]
    public void Missing_default_variant_is_an_error()
    {
        var e = Assert.Throws<ConfigError>(() => Cfg.Expand("""
            variants x [default=nope]:
                - a:
            """));
        Assert.Equal(ConfigErrorKind.Parser, e.Kind);
        Assert.Contains("nope", e.Message);
    }

    [Fact]
    public void Dependencies_are_full_names_within_the_enclosing_context()
    {
        var ps = Cfg.Expand("""
            variants:
                - install:
                - boot: install
            variants:
                - fedora:
            """);
        Assert.Equal(new[] { "fedora.install", "fedora.boot" }, ps.Select(p => p.Name));
        Assert.Empty(ps[0].Dep);
        Assert.Equal(new[] { "fedora.install" }, ps[1].Dep);
        Assert.Equal("fedora.install", ps[1]["dep"]);
    }

    [Fact]
    public void Only_and_no_combine_or_and_and_adjacency()
    {
        const string text = """
            variants:
                - Fedora:
                    variants:
                        - 39:
                        - 40:
                - Windows:
            variants:
                - smp1:
                - smp2:
            """;
        Assert.Equal(new[] { "smp1.Fedora.40", "smp2.Fedora.40" }, Cfg.Names(text, "only Fedora.40"));
        Assert.Equal(new[] { "smp2.Fedora.39", "smp2.Fedora.40" }, Cfg.Names(text, "only Fedora..smp2"));
        Assert.Equal(new[] { "smp1.Fedora.39", "smp1.Windows", "smp2.Fedora.39", "smp2.Windows" }, Cfg.Names(text, "no 40"));
        Assert.Equal(new[] { "smp1.Windows", "smp2.Fedora.40", "smp2.Windows" }, Cfg.Names(text, "only Windows, 40..smp2"));
        // Adjacency is directional: 40.Fedora never matches.
        Assert.Empty(Cfg.Names(text, "only 40.Fedora"));
        // A bare filter line means 'only'.
        Assert.Equal(new[] { "smp1.Windows", "smp2.Windows" }, Cfg.Names(text, "Windows"));
    }

    [Fact]
    public void Named_value_filters_select_by_block()
    {
        const string text = """
            variants a:
                - x:
                - y:
            variants b:
                - x:
                - y:
            """;
        Assert.Equal(new[] { "(b=x).(a=x)", "(b=y).(a=x)" }, Cfg.Expand(text, "only (a=x)").Select(p => p.Name));
        Assert.Equal(new[] { "(b=x).(a=x)" }, Cfg.Expand(text, "only (a=x)..(b=x)").Select(p => p.Name));
        // A plain name matches a named value too.
        Assert.Equal(3, Cfg.Expand(text, "only x").Count);
    }

    [Fact]
    public void Conditional_blocks_indented_inline_and_negative()
    {
        var ps = Cfg.Expand("""
            variants:
                - linux:
                - windows:
            linux:
                shell = sh
                prompt = $
            windows: shell = cmd
            !windows:
                unix = yes
            """);
        Assert.Equal("sh", ps[0]["shell"]);
        Assert.Equal("yes", ps[0]["unix"]);
        Assert.Equal("cmd", ps[1]["shell"]);
        Assert.False(ps[1].ContainsKey("unix"));
        Assert.False(ps[1].ContainsKey("prompt"));
    }

    [Fact]
    public void Filters_inside_variants_apply_to_that_variant_only()
    {
        Assert.Equal(new[] { "hotplug.e1000", "ping.virtio", "ping.e1000" }, Cfg.Names("""
            variants:
                - virtio:
                - e1000:
            variants:
                - hotplug:
                    only e1000
                - ping:
            """));
    }

    [Fact]
    public void Conditions_nest_and_hold_filters()
    {
        Assert.Equal(new[] { "x.b", "y.a", "y.b" }, Cfg.Names("""
            variants:
                - a:
                - b:
            variants:
                - x:
                - y:
            x:
                a:
                    no b
                no a
            """));
    }

    [Fact]
    public void Include_is_relative_to_the_including_file()
    {
        using var dir = new TempDir();
        dir.Write("sub/part.cfg", "x = 1\ninclude deeper/more.cfg\n");
        dir.Write("sub/deeper/more.cfg", "y = 2\n");
        var main = dir.Write("main.cfg", "include sub/part.cfg\nz = 3\n");
        var cfg = new CartesianConfig();
        cfg.ParseFile(main);
        var p = cfg.Expand().Single();
        Assert.Equal(("1", "2", "3"), (p["x"], p["y"], p["z"]));
    }

    [Fact]
    public void Del_removes_a_key()
    {
        var p = Cfg.Expand("""
            a = 1
            b = 2
            del a
            """).Single();
        Assert.False(p.ContainsKey("a"));
        Assert.Equal("2", p["b"]);
    }

    [Fact]
    public void Substitution_uses_current_values_and_keeps_unknown_references()
    {
        var p = Cfg.Expand("""
            os = fedora
            image = ${os}-${ver}.qcow2
            ver = 40
            image2 = ${os}-${ver}.qcow2
            late = ${ver} ${nope} ${os}
            empty = ${}
            name_copy = ${name}
            """).Single();
        Assert.Equal("fedora-${ver}.qcow2", p["image"]);
        Assert.Equal("fedora-40.qcow2", p["image2"]);
        // After the first unknown reference, the rest stays as written.
        Assert.Equal("40 ${nope} ${os}", p["late"]);
        Assert.Equal("${}", p["empty"]);
        Assert.Equal("", p["name_copy"]);
    }

    [Fact]
    public void Suffix_and_join_build_multi_object_dicts()
    {
        var ps = Cfg.Expand("""
            variants:
                - vm1:
                    mem = 512
                    suffix _vm1
                - vm2:
                    mem = 1024
                    suffix _vm2
            variants:
                - pair:
                    join vm1 vm2
            """);
        var p = Assert.Single(ps);
        Assert.Equal("pair.vm1.vm2", p.Name);
        Assert.Equal("512", p["mem_vm1"]);
        Assert.Equal("1024", p["mem_vm2"]);
        Assert.Equal("512", p.ObjectParams("vm1")["mem"]);
    }

    [Fact]
    public void Suffixed_keys_with_equal_values_fold_back_into_one_key()
    {
        var ps = Cfg.Expand("""
            variants:
                - vm1:
                    mem = 512
                    suffix _vm1
                - vm2:
                    mem = 512
                    suffix _vm2
            variants:
                - pair:
                    join vm1 vm2
            """);
        var p = Assert.Single(ps);
        Assert.Equal("512", p["mem"]);
        Assert.False(p.ContainsKey("mem_vm1"));
    }

    [Fact]
    public void Indentation_is_relative()
    {
        var ps = Cfg.Expand("""
            variants:
              - a:
                   x = 1
                 y = 2
              - b:
                      z = 3
            """);
        Assert.Equal(("1", "2"), (ps[0]["x"], ps[0]["y"]));
        Assert.Equal("3", ps[1]["z"]);
        Assert.False(ps[1].ContainsKey("x"));
    }

    [Fact]
    public void Tabs_expand_to_eight_columns()
    {
        var ps = Cfg.Expand("variants:\n\t- a:\n\t\tx = 1\n\t- b:\n");
        Assert.Equal(new[] { "a", "b" }, ps.Select(p => p.ShortName));
        Assert.Equal("1", ps[0]["x"]);
    }

    [Fact]
    public void Min_max_fixed_keys_adjust_their_base_key()
    {
        var p = Cfg.Expand("""
            mem = 4096
            mem_max = 2048
            smp = 1
            smp_min = 2
            disk = 10G
            disk_max = 20G
            vga = std
            vga_fixed = qxl
            """).Single();
        Assert.Equal("2048", p["mem"]);
        Assert.Equal("2", p["smp"]);
        Assert.Equal("10G", p["disk"]);
        Assert.Equal("qxl", p["vga"]);
    }

    [Fact]
    public void Reserved_keys_cannot_be_assigned()
    {
        var p = Cfg.Expand("""
            variants:
                - a:
            name = hacked
            shortname = hacked
            dep = hacked
            """).Single();
        Assert.Equal("a", p.Name);
        Assert.Equal("a", p.ShortName);
        Assert.Empty(p.Dep);
    }

    [Fact]
    public void Key_order_follows_first_assignment()
    {
        var p = Cfg.Expand("""
            b = 1
            a = 2
            b = 3
            """).Single();
        Assert.Equal(new[] { "name", "dep", "shortname", "b", "a" }, p.Keys);
    }

    [Fact]
    public void Expansion_is_lazy_and_repeatable()
    {
        var cfg = new CartesianConfig();
        cfg.ParseString(GeneratedTrees.Blocks(12, 6)); // 6^12 = 2 billion dicts: only laziness makes this finish
        var first = cfg.Expand().Take(3).Select(p => p.Name).ToList();
        var again = cfg.Expand().Take(3).Select(p => p.Name).ToList();
        Assert.Equal(3, first.Count);
        Assert.Equal(first, again);
    }

    [Fact]
    public void Cancellation_stops_expansion()
    {
        var cfg = new CartesianConfig();
        cfg.ParseString(GeneratedTrees.Blocks(10, 6));
        using var cts = new CancellationTokenSource();
        var seen = 0;
        Assert.Throws<OperationCanceledException>(() =>
        {
            foreach (var _ in cfg.Expand(cancellationToken: cts.Token))
            {
                if (++seen == 10) cts.Cancel();
            }
        });
        Assert.Equal(10, seen);
    }
}
