using System.Collections;
using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

public class VirtParamsTests
{
    private static VirtParams Sample() => Cfg.Expand("""
        vms = vm1 vm2
        mem = 1024
        mem_vm2 = 2048
        image_size = 10G
        image_size_image1 = 20G
        """).Single();

    [Fact]
    public void Object_params_fold_suffixed_keys()
    {
        var p = Sample();
        Assert.Equal("1024", p.ObjectParams("vm1")["mem"]);
        Assert.Equal("2048", p.ObjectParams("vm2")["mem"]);
        Assert.Equal("20G", p.ObjectParams("image1")["image_size"]);
        Assert.Equal("1024", p["mem"]); // the original is untouched
    }

    [Fact]
    public void Objects_split_on_white_space()
    {
        Assert.Equal(new[] { "vm1", "vm2" }, Sample().Objects("vms"));
        Assert.Empty(Sample().Objects("nics"));
    }

    [Fact]
    public void Non_generic_dictionary_view_matches()
    {
        IDictionary d = Sample();
        Assert.Equal("1024", d["mem"]);
        Assert.Null(d["missing"]);
        var keys = new List<string>();
        foreach (DictionaryEntry e in d) keys.Add((string)e.Key);
        Assert.Equal(Sample().Keys, keys);
        Assert.True(d.Contains("vms"));
    }

    [Fact]
    public void Keys_are_case_sensitive_and_ordered()
    {
        var p = new VirtParams { ["b"] = "1", ["a"] = "2", ["B"] = "3" };
        Assert.Equal(new[] { "b", "a", "B" }, p.Keys);
        p["b"] = "4";
        Assert.Equal(new[] { "b", "a", "B" }, p.Keys);
        Assert.True(p.Remove("b"));
        p["b"] = "5";
        Assert.Equal(new[] { "a", "B", "b" }, p.Keys);
        Assert.Throws<ArgumentException>(() => p.Add("a", "x"));
    }
}
