using System.IO.Compression;
using System.Text.Json;
using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// Real-tree-shaped trees (tests/conformance/realtree) give exactly the reference parser's dicts,
/// keys in the same order, name maps included, parsed afresh and from the parse cache.
/// </summary>
public class RealTreeConformanceTests
{
    private static string Root => Path.Combine(TestPaths.RepoRoot, "tests", "conformance", "realtree");

    public static IEnumerable<object[]> Cases() =>
        from dir in Directory.GetDirectories(Root).OrderBy(d => d, StringComparer.Ordinal)
        from mode in new[] { "plain", "filtered", "defaults" }
        from cache in new[] { false, true }
        select new object[] { Path.GetFileName(dir), mode, cache };

    [Fact]
    public void There_are_cases_to_check() => Assert.True(Cases().Count() >= 18);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Tree_matches_reference(string caseName, string mode, bool useCache)
    {
        var dir = Path.Combine(Root, caseName);
        var expectedFile = Path.Combine(dir, mode switch { "plain" => "expected.jsonl.gz", "filtered" => "expected-filtered.jsonl.gz", _ => "expected-defaults.jsonl.gz" });
        using var gz = new GZipStream(File.OpenRead(expectedFile), CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        var expected = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(expected);
        using var cacheDir = new TempDir();
        var options = new ConfigLoadOptions
        {
            Files = new[] { Path.Combine(dir, "tests.cfg") },
            Filters = mode == "filtered" ? new[] { "only boot, reboot, test_3, test_4", "no sub_1" } : Array.Empty<string>(),
            Defaults = mode == "defaults",
            UseCache = useCache,
            CacheDirectory = cacheDir.Path,
        };
        if (useCache) _ = ConfigLoader.Load(options);   // fills the cache
        var loaded = ConfigLoader.Load(options);
        Assert.Equal(useCache, loaded.FromCache);
        var actual = loaded.Expand().ToList();
        Assert.Equal(expected.Length, actual.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            var want = Ordered(expected[i]);
            var got = actual[i].Select(kv => (kv.Key, kv.Key == "dep" ? JsonSerializer.Serialize(actual[i].Dep) : kv.Value)).ToList();
            Assert.Equal(want, got);
        }
    }

    /// <summary>The keys and values of one reference dict, in its order (dep as its JSON list).</summary>
    private static List<(string, string)> Ordered(string jsonLine)
    {
        using var doc = JsonDocument.Parse(jsonLine);
        return doc.RootElement.EnumerateObject()
            .Select(p => (p.Name, p.Value.ValueKind == JsonValueKind.Array
                ? JsonSerializer.Serialize(p.Value.EnumerateArray().Select(e => e.GetString()).ToArray())
                : p.Value.GetString()!))
            .ToList();
    }
}
