using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// The parser keeps one string per repeated value (<see cref="ValuePool"/>): the same text gives
/// the same instance, and whatever falls into the same slot, a value always comes back as its
/// own text.
/// </summary>
public class ValuePoolTests
{
    [Fact]
    public void The_same_text_gives_the_same_string()
    {
        var pool = new ValuePool();
        var first = pool.Get("dmesg -c".AsSpan());
        var again = pool.Get("xdmesg -cx".AsSpan(1, 8));
        Assert.Equal("dmesg -c", first);
        Assert.Same(first, again);
        Assert.Same(first, pool.Get(new string("dmesg -c".ToCharArray())));
    }

    [Fact]
    public void Every_value_comes_back_as_its_own_text_past_the_table_size()
    {
        // Ten times more distinct values than slots: slots are shared and overwritten.
        var pool = new ValuePool();
        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < 40_000; i++)
            {
                var text = "value-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(text, pool.Get(text.AsSpan()));
            }
        }
    }

    [Fact]
    public void Empty_and_long_values_are_their_text()
    {
        var pool = new ValuePool();
        Assert.Same("", pool.Get(ReadOnlySpan<char>.Empty));
        var longText = new string('x', 1000);
        var a = pool.Get(longText.AsSpan());
        Assert.Equal(longText, a);
        Assert.Equal(longText, pool.Get(longText.AsSpan()));
    }

    [Fact]
    public void A_parsed_tree_shares_repeated_values_between_its_dicts()
    {
        var dicts = Cfg.Expand("""
            cmd = dmesg -c
            variants:
                - one:
                    check = dmesg -c
                - two:
                    check = "dmesg -c"
                - three:
                    check += ""
                    check = dmesg -c
            """);
        Assert.Equal(3, dicts.Count);
        Assert.All(dicts, d => Assert.Equal("dmesg -c", d["check"]));
        Assert.All(dicts, d => Assert.Same(dicts[0]["cmd"], d["check"]));
    }
}
