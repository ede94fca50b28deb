using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// The character classes the lexer uses answer ASCII by hand (a fast path); for every UTF-16
/// code unit they must give what the framework's classifiers give, as the reference's
/// str.isspace()/str.isalnum() are modelled on them.
/// </summary>
public class PyTextClassTests
{
    [Fact]
    public void IsSpace_matches_the_framework_definition_for_every_char()
    {
        var wrong = new List<int>();
        for (var i = 0; i <= char.MaxValue; i++)
        {
            var c = (char)i;
            var expected = char.IsWhiteSpace(c) || (c >= '\x1c' && c <= '\x1f');
            if (PyText.IsSpace(c) != expected) wrong.Add(i);
        }
        Assert.Empty(wrong);
        Assert.True(PyText.IsSpace('\x1d') && PyText.IsSpace('\u00a0') && PyText.IsSpace('\u2028') && !PyText.IsSpace('a'));
    }

    [Fact]
    public void IsAlnum_matches_the_framework_definition_for_every_char()
    {
        var wrong = new List<int>();
        for (var i = 0; i <= char.MaxValue; i++)
        {
            var c = (char)i;
            if (PyText.IsAlnum(c) != (char.IsLetterOrDigit(c) || char.IsNumber(c))) wrong.Add(i);
        }
        Assert.Empty(wrong);
        Assert.True(PyText.IsAlnum('Z') && PyText.IsAlnum('0') && PyText.IsAlnum('\u00e9') && !PyText.IsAlnum('_') && !PyText.IsAlnum('@'));
    }
}
