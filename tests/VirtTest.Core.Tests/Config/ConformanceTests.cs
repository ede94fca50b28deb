using System.Text.Json;
using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>Every conformance case (tests/conformance/cartesian) must give exactly the reference parser's dicts, in order.</summary>
public class ConformanceTests
{
    public static IEnumerable<object[]> Cases()
    {
        var expected = Path.Combine(TestPaths.Conformance, "expected");
        foreach (var f in Directory.GetFiles(expected).OrderBy(f => f, StringComparer.Ordinal))
        {
            var name = Path.GetFileName(f);
            if (name.EndsWith(".defaults-mode.jsonl", StringComparison.Ordinal))
                yield return new object[] { name[..^".defaults-mode.jsonl".Length], "defaults" };
            else if (name.EndsWith(".jsonl", StringComparison.Ordinal))
                yield return new object[] { name[..^".jsonl".Length], "normal" };
            else if (name.EndsWith(".error", StringComparison.Ordinal))
                yield return new object[] { name[..^".error".Length], "error" };
        }
    }

    [Fact]
    public void There_are_cases_to_check()
    {
        Assert.True(Cases().Count() >= 28, "expected the conformance cases; found " + Cases().Count());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_matches_reference(string caseName, string mode)
    {
        var cfgPath = Path.Combine(TestPaths.Conformance, "cases", caseName + ".cfg");
        if (mode == "error")
        {
            var referenceError = File.ReadAllText(Path.Combine(TestPaths.Conformance, "expected", caseName + ".error"));
            var err = Assert.Throws<ConfigError>(() => Expand(cfgPath, defaults: false));
            // The reference names file:line at the end of its message: "(NAME.cfg:LINE)".
            var m = System.Text.RegularExpressions.Regex.Match(referenceError, @"\((?<file>[^():]+):(?<line>\d+)\)");
            Assert.True(m.Success, "cannot find file:line in " + referenceError);
            Assert.Equal(m.Groups["file"].Value, Path.GetFileName(err.FileName));
            Assert.Equal(int.Parse(m.Groups["line"].Value), err.Line);
            Assert.Contains(Path.GetFileName(cfgPath) + ":" + m.Groups["line"].Value, err.Message);
            return;
        }
        var file = Path.Combine(TestPaths.Conformance, "expected", caseName + (mode == "defaults" ? ".defaults-mode.jsonl" : ".jsonl"));
        var expected = File.ReadAllLines(file).Where(l => l.Length > 0).Select(Normalize).ToList();
        var actual = Expand(cfgPath, mode == "defaults").Select(Render).ToList();
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i]);
    }

    private static List<VirtParams> Expand(string path, bool defaults)
    {
        var cfg = new CartesianConfig();
        cfg.ParseFile(path);
        return cfg.Expand(defaults).ToList();
    }

    /// <summary>Canonical form of one dict: sorted keys, '_' keys dropped, dep a list.</summary>
    internal static string Render(VirtParams p)
    {
        var obj = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var (k, v) in p)
        {
            if (k.StartsWith('_')) continue;
            obj[k] = k == "dep" ? p.Dep.ToArray() : v;
        }
        return JsonSerializer.Serialize(obj);
    }

    private static string Normalize(string jsonLine)
    {
        using var doc = JsonDocument.Parse(jsonLine);
        var obj = new SortedDictionary<string, object>(StringComparer.Ordinal);
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            obj[prop.Name] = prop.Value.ValueKind == JsonValueKind.Array
                ? prop.Value.EnumerateArray().Select(e => e.GetString()!).ToArray()
                : prop.Value.GetString()!;
        }
        return JsonSerializer.Serialize(obj);
    }
}
