using VirtTest.Core.Serialization;
using YamlDotNet.Serialization;

namespace VirtTest.Core.Tests.Serialization;

public class ParamsYamlTests
{
    private static List<Dictionary<object, object?>> Read(string yaml) =>
        new DeserializerBuilder().Build().Deserialize<List<Dictionary<object, object?>>>(yaml);

    private static IEnumerable<KeyValuePair<string, object?>> Dict(params (string Key, object? Value)[] items) =>
        items.Select(i => new KeyValuePair<string, object?>(i.Key, i.Value));

    [Fact]
    public void Writes_a_sequence_of_mappings_in_key_order()
    {
        var yaml = ParamsYaml.ToYaml(new[]
        {
            Dict(("name", "boot.qcow2"), ("image_format", "qcow2"), ("mem", "2048")),
            Dict(("name", "boot.raw"), ("image_format", "raw")),
        });

        var doc = Read(yaml);
        Assert.Equal(2, doc.Count);
        Assert.Equal(new object[] { "name", "image_format", "mem" }, doc[0].Keys.ToArray());
        Assert.Equal("2048", doc[0]["mem"]);
        Assert.Equal("raw", doc[1]["image_format"]);
        Assert.StartsWith("- ", yaml, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2048")]
    [InlineData("yes")]
    [InlineData("No")]
    [InlineData("true")]
    [InlineData("null")]
    [InlineData("~")]
    [InlineData("")]
    [InlineData("1.5")]
    [InlineData("0x1F")]
    [InlineData("1e3")]
    [InlineData(".inf")]
    [InlineData("2024-01-31")]
    public void Quotes_strings_that_YAML_would_read_as_other_types(string value)
    {
        Assert.True(ParamsYaml.NeedsQuotes(value));
        var yaml = ParamsYaml.ToYaml(new[] { Dict(("v", value)) });
        Assert.Contains("v: \"", yaml, StringComparison.Ordinal);
        Assert.Equal(value, Read(yaml)[0]["v"]);
    }

    [Theory]
    [InlineData("qcow2")]
    [InlineData("virtio-scsi-pci")]
    [InlineData("images/fedora-40")]
    [InlineData("cluster_size=64k")]
    public void Leaves_ordinary_strings_plain(string value)
    {
        Assert.False(ParamsYaml.NeedsQuotes(value));
        Assert.Equal($"- v: {value}\n", ParamsYaml.ToYaml(new[] { Dict(("v", value)) }));
    }

    [Theory]
    [InlineData("a: b")]
    [InlineData("- dash")]
    [InlineData("# not a comment")]
    [InlineData("line1\nline2")]
    [InlineData("  leading")]
    [InlineData("'single' and \"double\"")]
    [InlineData("*star")]
    public void Round_trips_special_strings(string value)
    {
        var doc = Read(ParamsYaml.ToYaml(new[] { Dict(("v", value)) }));
        Assert.Equal(value, doc[0]["v"]);
    }

    [Fact]
    public void Writes_dep_as_a_list()
    {
        var yaml = ParamsYaml.ToYaml(new[]
        {
            Dict(("name", "a"), ("dep", "boot setup")),
            Dict(("name", "b"), ("dep", new[] { "x.y", "z" })),
            Dict(("name", "c"), ("dep", "")),
        });
        var doc = Read(yaml);
        Assert.Equal(new object[] { "boot", "setup" }, Assert.IsAssignableFrom<IList<object>>(doc[0]["dep"]).ToArray());
        Assert.Equal(new object[] { "x.y", "z" }, Assert.IsAssignableFrom<IList<object>>(doc[1]["dep"]).ToArray());
        Assert.Empty(Assert.IsAssignableFrom<IList<object>>(doc[2]["dep"]));
    }

    [Fact]
    public void Accepts_string_dictionaries()
    {
        var dicts = new[] { new Dictionary<string, string> { ["k"] = "v" } };
        Assert.Equal("- k: v\n", ParamsYaml.ToYaml(dicts));
    }

    [Fact]
    public void Writes_an_empty_sequence_for_no_input()
    {
        var yaml = ParamsYaml.ToYaml(Array.Empty<IEnumerable<KeyValuePair<string, object?>>>());
        Assert.Equal("[]", yaml.Trim());
        Assert.Empty(Read(yaml));
    }
}
