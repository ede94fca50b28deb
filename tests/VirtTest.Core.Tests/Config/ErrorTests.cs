using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>Bad input gives a ConfigError that says what and where.</summary>
public class ErrorTests
{
    private static ConfigError Fails(string text, string file = "bad.cfg")
    {
        var cfg = new CartesianConfig();
        return Assert.Throws<ConfigError>(() =>
        {
            cfg.ParseString(Cfg.Dedent(text), file);
            _ = cfg.Expand().ToList();
        });
    }

    [Fact]
    public void Missing_include_names_file_line_and_path()
    {
        using var dir = new TempDir();
        var main = dir.Write("main.cfg", "a = 1\n\ninclude nothere.cfg\n");
        var cfg = new CartesianConfig();
        var e = Assert.Throws<ConfigError>(() => cfg.ParseFile(main));
        Assert.Equal(ConfigErrorKind.MissingInclude, e.Kind);
        Assert.Equal(3, e.Line);
        Assert.Equal(main, e.FileName);
        Assert.Contains("nothere.cfg", e.Message);
        Assert.Contains(main + ":3", e.Message);
    }

    [Fact]
    public void Missing_top_level_file_is_a_config_error()
    {
        var e = Assert.Throws<ConfigError>(() => new CartesianConfig().ParseFile("/nonexistent/virttest.cfg"));
        Assert.Equal(ConfigErrorKind.MissingInclude, e.Kind);
    }

    [Fact]
    public void Include_cycle_is_detected()
    {
        using var dir = new TempDir();
        dir.Write("a.cfg", "x = 1\ninclude b.cfg\n");
        dir.Write("b.cfg", "y = 1\ninclude a.cfg\n");
        var cfg = new CartesianConfig();
        var e = Assert.Throws<ConfigError>(() => cfg.ParseFile(Path.Combine(dir.Path, "a.cfg")));
        Assert.Equal(ConfigErrorKind.IncludeCycle, e.Kind);
        Assert.EndsWith("b.cfg", e.FileName);
        Assert.Equal(2, e.Line);
        Assert.Contains("a.cfg -> ", e.Message);
    }

    [Theory]
    [InlineData("only qcow2..,raw", 1)]
    [InlineData("only a...b", 1)]
    [InlineData("only .a", 1)]
    [InlineData("no (x=", 1)]
    [InlineData("x = 1\nonly a ,b", 2)]
    public void Bad_filter_names_the_line(string text, int line)
    {
        var e = Fails(text);
        Assert.Contains(e.Kind, new[] { ConfigErrorKind.Filter, ConfigErrorKind.Parser });
        Assert.Equal(line, e.Line);
        Assert.Equal("bad.cfg", e.FileName);
        Assert.NotNull(e.LineText);
        Assert.Contains("bad.cfg:" + line, e.Message);
    }

    [Fact]
    public void Unknown_character_gives_column()
    {
        var e = Fails("variants tests$:\n    - a:\n");
        Assert.Equal(ConfigErrorKind.Lexer, e.Kind);
        Assert.Equal(1, e.Line);
        Assert.Equal(15, e.Column);
        Assert.Contains("'$'", e.Message);
    }

    [Fact]
    public void Variant_without_dash_is_a_parser_error()
    {
        var e = Fails("variants:\n    one:\n    - two:\n");
        Assert.Equal(ConfigErrorKind.Parser, e.Kind);
        Assert.Equal(2, e.Line);
        Assert.Contains("'-'", e.Message);
    }

    [Fact]
    public void Bad_indentation_of_a_variant_is_reported()
    {
        // The second variant is indented deeper than the first: it falls into the first one's body.
        var e = Fails("variants:\n  - a:\n      x = 1\n     - b:\n");
        Assert.Equal(4, e.Line);
        Assert.Equal(ConfigErrorKind.Parser, e.Kind);
    }

    [Fact]
    public void Variants_inside_a_condition_are_rejected()
    {
        var e = Fails("variants:\n    - a:\na:\n    variants:\n        - b:\n");
        Assert.Equal(4, e.Line);
        Assert.Contains("conditional", e.Message);
    }

    [Fact]
    public void Statement_that_is_neither_assignment_nor_block_is_rejected()
    {
        var e = Fails("a = 1\njustaword\n");
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Unterminated_quote_in_a_filter()
    {
        var e = Fails("only (a=\"b)\n");
        Assert.Equal(ConfigErrorKind.Lexer, e.Kind);
    }

    [Fact]
    public void Bad_key_regex_is_reported_where_it_was_written()
    {
        var e = Fails("a = 1\nb = 2\n(unclosed ?= 3\n");
        Assert.Equal(3, e.Line);
        Assert.Contains("(unclosed", e.Message);
    }
}
