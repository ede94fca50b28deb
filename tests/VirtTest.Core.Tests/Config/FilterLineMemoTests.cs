using System.Text;
using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// Filter lines seen before in a parse are taken from memory instead of being tokenized again
/// (<see cref="FilterLineMemo"/>): the dicts, and the errors, are those of a parse without it.
/// </summary>
public class FilterLineMemoTests
{
    private static readonly string[] Names = { "a", "b", "c", "d" };
    private static readonly string[] Filters = { "a", "b", "c, d", "a..c", "b.d", "(x=a)", "a, b..d" };

    internal static void Statements(StringBuilder text, Random rng, int indent, int depth)
    {
        var pad = new string(' ', indent);
        for (var n = rng.Next(1, 5); n > 0; n--)
        {
            var filter = Filters[rng.Next(Filters.Length)];
            switch (rng.Next(depth > 2 ? 5 : 8))
            {
                case 0: text.Append(pad).Append("k").Append(rng.Next(3)).Append(" = v").Append(rng.Next(9)).Append('\n'); break;
                case 1: text.Append(pad).Append("k").Append(rng.Next(3)).Append(" += ${k").Append(rng.Next(3)).Append("}+\n"); break;
                case 2: text.Append(pad).Append("only ").Append(filter).Append('\n'); break;
                case 3: text.Append(pad).Append("no ").Append(filter).Append('\n'); break;
                case 4: text.Append(pad).Append(filter).Append(": k2 = inline\n"); break;
                case 5:
                case 6:
                    text.Append(pad).Append(rng.Next(2) == 0 ? "" : "!").Append(filter).Append(":\n");
                    Statements(text, rng, indent + 4, depth + 1);
                    break;
                default:
                    text.Append(pad).Append("variants x:\n");
                    foreach (var name in Names.Take(rng.Next(1, 4)))
                    {
                        text.Append(pad).Append("    - ").Append(name).Append(":\n");
                        Statements(text, rng, indent + 8, depth + 2);
                    }
                    break;
            }
        }
    }

    private static string Outcome(string text, bool remember)
    {
        var cfg = new CartesianConfig { RememberFilterLines = remember };
        try
        {
            cfg.ParseString(text, "memo.cfg");
            return string.Join("\n", cfg.Expand().Select(p => string.Join(";", p.Select(kv => kv.Key + "=" + kv.Value))));
        }
        catch (ConfigError e)
        {
            return "error: " + e.Message;
        }
    }

    [Fact]
    public void Repeated_filter_lines_give_the_dicts_of_a_parse_without_memory()
    {
        var rng = new Random(61206);
        var dicts = 0;
        for (var round = 0; round < 400; round++)
        {
            var text = new StringBuilder("variants:\n    - c:\n    - d:\n");
            Statements(text, rng, 0, 0);
            var config = text.ToString();
            var expected = Outcome(config, remember: false);
            Assert.True(expected == Outcome(config, remember: true), config);
            if (!expected.StartsWith("error: ", StringComparison.Ordinal)) dicts += expected.Split('\n').Length;
        }
        Assert.True(dicts > 400, "the generated configs gave dicts");   // not only errors
    }

    [Fact]
    public void A_repeated_line_shares_its_filter_and_a_broken_one_is_reported_where_it_stands()
    {
        var cfg = new CartesianConfig();
        cfg.ParseString("only a, b\nx = 1\nonly a, b\n", "memo.cfg");
        var filters = cfg.Root.Content.Where(c => c.Filter is not null).Select(c => c.Filter!).ToList();
        Assert.Equal(2, filters.Count);
        Assert.Same(filters[0].Words, filters[1].Words);
        Assert.Equal("only a, b", filters[1].LineText);

        var broken = new CartesianConfig();
        var e = Assert.Throws<ConfigError>(() => broken.ParseString("a:\n    x = 1\nonly ,a\nonly ,a\n", "memo.cfg"));
        Assert.Contains("memo.cfg:3", e.Message);
    }
}
