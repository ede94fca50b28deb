using System.Text;
using System.Text.RegularExpressions;
using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// Key regexes made of plain characters, '.' and quantifiers are matched without the regex
/// engine, and the common part of joined names is stripped without it: both must answer exactly
/// as the regex engine does, which these cases check on random patterns and names.
/// </summary>
public class KeyPatternTests
{
    private static readonly char[] PatternChars = "ab_1.*+?.a-b(|)[\\$^{}".ToCharArray();
    private static readonly char[] KeyChars = "ab_1-xZ".ToCharArray();

    private static string Random(Random rng, char[] alphabet, int maxLength)
    {
        var sb = new StringBuilder();
        var n = rng.Next(maxLength + 1);
        for (var i = 0; i < n; i++) sb.Append(alphabet[rng.Next(alphabet.Length)]);
        return sb.ToString();
    }

    [Theory]
    [InlineData("param_.*_0", "param_3_0", true)]
    [InlineData("param_.*_0", "param_3_01", false)]
    [InlineData("image_name.*", "image_name", true)]
    [InlineData("a.+b", "ab", false)]
    [InlineData("a.+b", "axb", true)]
    [InlineData("ab?c", "ac", true)]
    [InlineData("ab?c", "abbc", false)]
    public void Simple_patterns_match_whole_keys(string pattern, string key, bool expected)
    {
        var simple = KeyPattern.TryCreate(pattern);
        Assert.NotNull(simple);
        Assert.Equal(expected, simple!.IsMatch(key));
    }

    [Theory]
    [InlineData("a|b")]
    [InlineData("a**")]
    [InlineData("a+?")]
    [InlineData("*a")]
    [InlineData("(ab)")]
    [InlineData("a[bc]")]
    [InlineData("a\\d")]
    [InlineData("a$")]
    [InlineData("a{2}")]
    public void Other_patterns_are_left_to_the_regex_engine(string pattern) => Assert.Null(KeyPattern.TryCreate(pattern));

    [Fact]
    public void Random_patterns_answer_as_the_regex_engine()
    {
        var rng = new Random(20240611);
        var checkedPatterns = 0;
        for (var p = 0; p < 4000; p++)
        {
            var pattern = Random(rng, PatternChars, 8);
            if (KeyPattern.TryCreate(pattern) is not { } simple) continue;
            checkedPatterns++;
            var regex = new Regex(@"\A(?:" + pattern + "$)", RegexOptions.CultureInvariant);
            for (var k = 0; k < 40; k++)
            {
                var key = Random(rng, KeyChars, 10);
                Assert.True(regex.IsMatch(key) == simple.IsMatch(key), $"pattern '{pattern}', key '{key}'");
            }
        }
        Assert.True(checkedPatterns > 500, "too few patterns were simple enough: " + checkedPatterns);
    }

    [Fact]
    public void Text_with_dot_star_between_answers_as_the_regex_engine()
    {
        // Such patterns (param_.*_0) take the prefix/suffix/search way, not the state simulation.
        var rng = new Random(4242);
        var textChars = "ab_1".ToCharArray();
        var keyChars = "ab_1-".ToCharArray();
        for (var p = 0; p < 3000; p++)
        {
            var parts = Enumerable.Range(0, rng.Next(1, 5)).Select(_ => Random(rng, textChars, 3)).ToList();
            var pattern = string.Join(".*", parts);
            var simple = KeyPattern.TryCreate(pattern);
            Assert.NotNull(simple);
            Assert.True(simple!.IsCheap, pattern);
            var regex = new Regex(@"\A(?:" + pattern + "$)", RegexOptions.CultureInvariant);
            for (var k = 0; k < 40; k++)
            {
                // Half the keys are the pattern with random text for each '.*' (mostly matches).
                var key = k % 2 == 0 ? Random(rng, keyChars, 9) : string.Join("", parts.Select((t, i) => i == 0 ? t : Random(rng, keyChars, 3) + t));
                Assert.True(regex.IsMatch(key) == simple.IsMatch(key), $"pattern '{pattern}', key '{key}'");
            }
        }
        Assert.False(KeyPattern.TryCreate("a.b.*")!.IsCheap);
        Assert.False(KeyPattern.TryCreate("ab?.*")!.IsCheap);
    }

    [Fact]
    public void Joined_name_prefixes_are_stripped_as_the_regex_engine_strips_them()
    {
        var rng = new Random(77);
        var prefixChars = "ab.(=)-".ToCharArray();
        var nameChars = "ab.(=)-x".ToCharArray();
        var compared = 0;
        for (var i = 0; i < 20000; i++)
        {
            var prefix = Random(rng, prefixChars, 7);
            var name = rng.Next(2) == 0 ? prefix.Replace("(", "").Replace(")", "") + Random(rng, nameChars, 5) : Random(rng, nameChars, 10);
            string expected;
            try
            {
                expected = Regex.Replace(name, "^" + prefix, "");
            }
            catch (ArgumentException)
            {
                Assert.ThrowsAny<ArgumentException>(() => Expander.RemoveLeading(name, prefix));
                continue;
            }
            Assert.True(expected == Expander.RemoveLeading(name, prefix), $"prefix '{prefix}', name '{name}'");
            compared++;
        }
        Assert.True(compared > 3000, "too few valid prefixes: " + compared);
    }
}
