namespace VirtTest.Core.Tests.Config;

/// <summary>
/// <c>del</c> after <c>suffix</c> or <c>join</c> matches a renamed key by its parts joined
/// (<c>mem</c> + <c>_vm1</c> = <c>mem_vm1</c>), as the reference does; expected dicts from the reference.
/// </summary>
public class DelAfterSuffixTests
{
    [Fact]
    public void Del_removes_suffixed_keys_by_their_joined_name()
    {
        var dicts = Cfg.Expand("""
            vms = vm1 vm2
            mem = 1024
            variants:
                - one:
                    mem = 2048
                    cpu = 2
                    suffix _vm1
                - two:
                    mem = 4096
                    suffix _vm2
            del mem_vm1
            del cpu_vm1
            """);
        Assert.Equal(2, dicts.Count);
        Assert.Equal(new[] { "vms" }, dicts[0].Keys.Where(k => !Reserved(k)));
        Assert.Equal("vm1 vm2", dicts[0]["vms"]);
        Assert.Equal(new[] { "vms", "mem" }, dicts[1].Keys.Where(k => !Reserved(k)));
        Assert.Equal("4096", dicts[1]["mem"]);
    }

    [Fact]
    public void Del_after_join_expands_the_joined_variants()
    {
        var d = Cfg.Expand("""
            variants:
                - a:
                    x = 1
                    y = 1
                    suffix _a
                - b:
                    x = 2
                    suffix _b
            join a b
            del y_a
            z = ${x}
            """).Single();
        Assert.Equal("a.b", d.Name);
        Assert.Equal(new[] { "z", "x_a", "x_b" }, d.Keys.Where(k => !Reserved(k)));
        Assert.Equal("2", d["z"]);
    }

    [Fact]
    public void Del_does_not_touch_a_suffixed_key_whose_joined_name_differs()
    {
        var d = Cfg.Expand("""
            variants:
                - v:
                    mem = 1
                    suffix _s
            del mem
            """).Single();
        Assert.Equal("1", d["mem"]);
    }

    private static bool Reserved(string key) => key is "name" or "shortname" or "dep" || key.StartsWith('_');
}
