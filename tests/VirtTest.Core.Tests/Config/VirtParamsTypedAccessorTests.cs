using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>GetBool/GetInt/GetDouble/GetList/GetSize: values, defaults and typed errors naming key and value.</summary>
public class VirtParamsTypedAccessorTests
{
    private static VirtParams P(params (string Key, string Value)[] items) =>
        new(items.Select(i => new KeyValuePair<string, string>(i.Key, i.Value)));

    [Theory]
    [InlineData("yes", true)]
    [InlineData("YES", true)]
    [InlineData("True", true)]
    [InlineData(" on ", true)]
    [InlineData("no", false)]
    [InlineData("FALSE", false)]
    [InlineData("Off", false)]
    public void GetBool_reads_the_reference_spellings(string value, bool expected)
    {
        Assert.Equal(expected, P(("k", value)).GetBool("k", !expected));
    }

    [Fact]
    public void Missing_or_empty_values_give_the_default()
    {
        var p = P(("empty", ""), ("blank", "  "));
        Assert.True(p.GetBool("missing", true));
        Assert.True(p.GetBool("empty", true));
        Assert.Equal(7, p.GetInt("blank", 7));
        Assert.Equal(2.5, p.GetDouble("missing", 2.5));
        Assert.Equal(new[] { "a" }, p.GetList("missing", new[] { "a" }));
        Assert.Empty(p.GetList("missing"));
        Assert.Equal(42, p.GetSize("empty", 42));
    }

    [Theory]
    [InlineData("GetBool", "maybe")]
    [InlineData("GetBool", "1")]
    [InlineData("GetInt", "12x")]
    [InlineData("GetInt", "1.5")]
    [InlineData("GetInt", "99999999999")]
    [InlineData("GetDouble", "nan")]
    [InlineData("GetDouble", "1,5")]
    [InlineData("GetSize", "10X")]
    [InlineData("GetSize", "-1G")]
    [InlineData("GetSize", "G")]
    [InlineData("GetSize", "99999999T")]
    public void Malformed_values_raise_an_error_naming_key_and_value(string reader, string value)
    {
        var p = P(("mem", value));
        var e = Assert.Throws<ParamValueException>(() =>
        {
            _ = reader switch
            {
                "GetBool" => (object)p.GetBool("mem"),
                "GetInt" => p.GetInt("mem"),
                "GetDouble" => p.GetDouble("mem"),
                _ => p.GetSize("mem"),
            };
        });
        Assert.Equal("mem", e.Key);
        Assert.Equal("mem", e.ParamName);
        Assert.Equal(value, e.Value);
        Assert.Contains("'mem'", e.Message);
        Assert.Contains("'" + value + "'", e.Message);
        Assert.IsAssignableFrom<ArgumentException>(e);
    }

    [Fact]
    public void GetInt_and_GetDouble_read_invariant_numbers()
    {
        var p = P(("a", " -3 "), ("b", "+7"), ("c", "0.25"), ("d", "1e3"));
        Assert.Equal(-3, p.GetInt("a"));
        Assert.Equal(7, p.GetInt("b"));
        Assert.Equal(0.25, p.GetDouble("c"));
        Assert.Equal(1000, p.GetDouble("d"));
    }

    [Fact]
    public void GetList_splits_on_any_white_space()
    {
        Assert.Equal(new[] { "vm1", "vm2", "vm3" }, P(("vms", " vm1\tvm2   vm3 ")).GetList("vms"));
    }

    [Theory]
    [InlineData("10G", 10L << 30)]
    [InlineData("512M", 512L << 20)]
    [InlineData("1024K", 1L << 20)]
    [InlineData("4096", 4096)]
    [InlineData("4096B", 4096)]
    [InlineData("2t", 2L << 40)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("10 GB", 10L << 30)]
    [InlineData("8GiB", 8L << 30)]
    [InlineData("0.3K", 307)]
    public void GetSize_returns_bytes(string value, long bytes)
    {
        Assert.Equal(bytes, P(("s", value)).GetSize("s"));
    }

    [Fact]
    public void GetSize_counts_a_bare_number_in_the_given_unit()
    {
        var p = P(("mem", "1024"), ("image_size", "20G"));
        Assert.Equal(1L << 30, p.GetSize("mem", bareUnit: 'M'));
        Assert.Equal(20L << 30, p.GetSize("image_size", bareUnit: 'M'));
        Assert.Throws<ArgumentOutOfRangeException>(() => p.GetSize("mem", bareUnit: 'X'));
    }

    [Fact]
    public void Readers_work_on_expanded_dicts()
    {
        var p = Cfg.Expand("""
            start_vm = yes
            mem = 2048
            image_size = 20G
            vms = vm1 vm2
            """).Single();
        Assert.True(p.GetBool("start_vm"));
        Assert.Equal(2048, p.GetInt("mem"));
        Assert.Equal(20L << 30, p.GetSize("image_size"));
        Assert.Equal(new[] { "vm1", "vm2" }, p.GetList("vms"));
    }
}
