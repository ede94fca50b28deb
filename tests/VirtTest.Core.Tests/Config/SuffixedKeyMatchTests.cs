using System.Text;
using System.Text.RegularExpressions;
using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// A key regex (<c>del</c>, <c>?=</c>, <c>?+=</c>, <c>?&lt;=</c>) sees a suffixed key as its parts
/// joined, and the matcher remembers its answer per key: the answer, first and remembered, must
/// be the regex engine's on the joined string, for simple patterns and full regexes, short keys
/// and long ones alike.
/// </summary>
public class SuffixedKeyMatchTests
{
    private static KeyMatcher MatcherFor(string pattern) =>
        KeyPattern.TryCreate(pattern) is { } simple ? new KeyMatcher(simple) : new KeyMatcher(new Regex(@"\A(?:" + pattern + "$)", RegexOptions.CultureInvariant));

    [Theory]
    [InlineData("kill_vm_vm1")]          // a simple pattern: the joined key, not either part
    [InlineData("kill_vm.*")]
    [InlineData("param_.*_0")]
    [InlineData("(kill|mem)_vm[0-9]?_vm1")]   // a full regex
    [InlineData("x{300}_vm1")]           // only a long key matches
    [InlineData(".*_vm2")]
    public void A_suffixed_key_matches_as_its_parts_joined(string pattern)
    {
        var regex = new Regex(@"\A(?:" + pattern + "$)", RegexOptions.CultureInvariant);
        var keys = new List<string>();
        foreach (var key in new[] { "kill_vm", "kill_vm_vm1", "param_3_0", "mem", new string('x', 300), new string('x', 299) + "_" })
        {
            keys.Add(key);
            keys.Add(key + WorkingDict.TupleSeparator + "_vm1");
            keys.Add(key + WorkingDict.TupleSeparator + "_vm1" + WorkingDict.TupleSeparator + "_vm2");
        }
        var matcher = MatcherFor(pattern);
        var matched = 0;
        for (var pass = 0; pass < 2; pass++)   // the second pass answers from what the matcher remembered
        {
            foreach (var key in keys)
            {
                var joined = key.Replace(WorkingDict.TupleSeparator.ToString(), "");
                bool answer;
                lock (matcher) answer = matcher.IsMatch(key, OrderedStore.Hash(key));
                Assert.True(regex.IsMatch(joined) == answer, $"pattern '{pattern}', key '{key.Replace(WorkingDict.TupleSeparator, '|')}'");
                if (answer) matched++;
            }
        }
        Assert.True(matched > 0, "the cases should include keys that match");
    }

    [Fact]
    public void Random_suffixed_keys_match_as_the_regex_engine_matches_them_joined()
    {
        var rng = new Random(31);
        var alphabet = "ab_1.*+?".ToCharArray();
        var keyChars = "ab_1".ToCharArray();
        string Make(char[] chars, int max)
        {
            var sb = new StringBuilder();
            for (var n = rng.Next(1, max + 1); n > 0; n--) sb.Append(chars[rng.Next(chars.Length)]);
            return sb.ToString();
        }
        for (var round = 0; round < 2000; round++)
        {
            var pattern = Make(alphabet, 6);
            Regex regex;
            try { regex = new Regex(@"\A(?:" + pattern + "$)", RegexOptions.CultureInvariant); }
            catch (ArgumentException) { continue; }
            var matcher = MatcherFor(pattern);
            var key = Make(keyChars, rng.Next(2) == 0 ? 5 : 400);
            var parts = rng.Next(1, 4);
            for (var p = 1; p < parts; p++) key += WorkingDict.TupleSeparator + Make(keyChars, 4);
            bool answer;
            lock (matcher) answer = matcher.IsMatch(key, OrderedStore.Hash(key));
            Assert.True(regex.IsMatch(key.Replace(WorkingDict.TupleSeparator.ToString(), "")) == answer, $"pattern '{pattern}', key of {key.Length} characters");
        }
    }
}
