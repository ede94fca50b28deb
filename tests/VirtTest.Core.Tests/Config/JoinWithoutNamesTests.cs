namespace VirtTest.Core.Tests.Config;

/// <summary>
/// A <c>join</c> with nothing to join (only a comment after it) leaves the dicts as they are; it
/// crashed the engine once (found by the fuzz test, seed 4242, iteration 35,963). The reference gives one empty dict.
/// </summary>
public class JoinWithoutNamesTests
{
    [Fact]
    public void A_lone_join_comment_gives_one_empty_dict()
    {
        var d = Cfg.Expand("join #x").Single();
        Assert.Equal("", d.Name);
        Assert.Equal(new[] { "name", "dep", "shortname" }, d.Keys);
    }

    [Fact]
    public void An_empty_join_inside_a_variant_keeps_its_siblings()
    {
        Assert.Equal(new[] { "a", "b" }, Cfg.Names("""
            variants:
                - a:
                    join # nothing
                - b:
            """));
    }
}
