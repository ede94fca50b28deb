using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// A tree from the parse cache reads each node's statements only when the expansion first needs
/// them (a filtered run such as 'only boot' skips most variants), checks the whole entry against
/// its hash when it is opened (damage is found then, never mid-expansion), and gives every
/// thread the same statements.
/// </summary>
public class ParseCacheStoredStatementsTests
{
    private static LoadedConfig Load(string cacheDir, string file, bool useCache = true, params string[] filters) =>
        ConfigLoader.Load(new ConfigLoadOptions { Files = new[] { file }, Filters = filters, CacheDirectory = cacheDir, UseCache = useCache });

    private static List<string> Dump(IEnumerable<VirtParams> dicts) =>
        dicts.Select(p => string.Join("\u0001", p.Select(kv => kv.Key + "=" + kv.Value))).ToList();

    private static List<Node> Nodes(Node root)
    {
        var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Node>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!seen.Add(n)) continue;
            foreach (var c in n.Children) stack.Push(c);
        }
        return seen.ToList();
    }

    private static (TempDir Dir, string Tests, string Cache) RealTree()
    {
        var dir = new TempDir();
        var tests = RealTreeGenerator.Write(Path.Combine(dir.Path, "tree"), new RealTreeGenerator.Shape(Tests: 60, BaseKeys: 40, LinuxFamilies: 2, WindowsVersions: 2));
        return (dir, tests, Path.Combine(dir.Path, "cache"));
    }

    [Fact]
    public void A_filtered_expansion_reads_the_statements_of_few_nodes()
    {
        var (dir, tests, cache) = RealTree();
        using var _ = dir;
        var expected = Dump(Load(cache, tests, useCache: false, "only boot").Expand());
        Load(cache, tests);   // writes the entry
        var cached = Load(cache, tests, true, "only boot");
        Assert.True(cached.FromCache);
        var nodes = Nodes(cached.Config.Root);
        var readBefore = nodes.Count(n => n.StatementsRead);
        Assert.Equal(expected, Dump(cached.Expand()));
        Assert.NotEmpty(expected);
        var read = nodes.Count(n => n.StatementsRead);
        Assert.True(read > readBefore, "expanding read no statements");
        Assert.True(read * 2 < nodes.Count, $"{read} of {nodes.Count} nodes had their statements read for 'only boot'");
        // The unfiltered expansion of the same cached tree reads the rest and matches a parse.
        var all = Load(cache, tests);
        Assert.True(all.FromCache);
        Assert.Equal(Dump(Load(cache, tests, useCache: false).Expand()), Dump(all.Expand()));
    }

    [Fact]
    public void A_variant_that_a_filter_rules_out_is_decided_without_reading_its_assignments()
    {
        var (dir, tests, cache) = RealTree();
        using var _ = dir;
        Load(cache, tests);   // writes the entry
        var parsed = Load(cache, tests, useCache: false, "only boot");
        var expected = Dump(parsed.Expand());
        var cached = Load(cache, tests, true, "only boot");
        Assert.True(cached.FromCache);
        Assert.Equal(expected, Dump(cached.Expand()));
        // The 60 tests are siblings under one variants block (the node with the most children),
        // each with its statements; 'only boot' keeps one, and the others are ruled out on their
        // filters (and the inherited 'only boot') without their assignments being read. A test
        // with a join is the exception: its statements are split into joins and the rest first.
        var subtests = Nodes(cached.Config.Root).MaxBy(n => n.Children.Count)!;
        Assert.True(subtests.Children.Count >= 60, subtests.Children.Count + " children");
        var read = subtests.Children.Where(c => c.StatementsRead).Select(c => c.Name.Single().Name).ToList();
        var joining = subtests.Children.Where(c => c.Content.Any(t => t.Filter?.Kind == FilterKind.Join)).Select(c => c.Name.Single().Name).ToList();
        Assert.Contains("boot", read);
        Assert.NotEmpty(joining);
        Assert.Empty(read.Except(joining).Except(new[] { "boot" }));
    }

    [Fact]
    public void A_variant_the_filters_from_above_rule_out_is_decided_without_reading_even_its_filters()
    {
        var (dir, tests, cache) = RealTree();
        using var _ = dir;
        Load(cache, tests);   // writes the entry
        var expected = Dump(Load(cache, tests, useCache: false, "only boot").Expand());
        var cached = Load(cache, tests, true, "only boot");
        Assert.True(cached.FromCache);
        Assert.Equal(expected, Dump(cached.Expand()));
        // 'only boot' (from the command line, so from above every test) rules out each test but
        // boot on its own: their filters stay in the cache, and so does whether they join (stored
        // beside each node). A joining test is read to split its joins from the rest, as before.
        var subtests = Nodes(cached.Config.Root).MaxBy(n => n.Children.Count)!;
        var withFilters = subtests.Children.Count(c => c.UnreadFilters is null || c.UnreadFilters.HasFilters);
        var cachedAgain = Load(cache, tests, true, "only boot");
        Assert.Equal(expected, Dump(cachedAgain.Expand()));
        subtests = Nodes(cachedAgain.Config.Root).MaxBy(n => n.Children.Count)!;
        var filtersRead = subtests.Children.Where(c => c.FiltersRead).Select(c => c.Name.Single().Name).ToList();
        var joining = subtests.Children.Where(c => c.Content.Any(t => t.Filter?.Kind == FilterKind.Join)).Select(c => c.Name.Single().Name).ToList();
        Assert.True(withFilters > 10, $"only {withFilters} tests with filters of their own");
        Assert.Contains("boot", filtersRead);
        Assert.Empty(filtersRead.Except(joining).Except(new[] { "boot" }));
    }

    [Fact]
    public void A_node_read_after_its_filters_holds_the_same_filter_objects()
    {
        var (dir, tests, cache) = RealTree();
        using var _ = dir;
        Load(cache, tests);
        var cached = Load(cache, tests);
        Assert.True(cached.FromCache);
        var checkedNodes = 0;
        foreach (var n in Nodes(cached.Config.Root))
        {
            if (n.UnreadFilters is not { } unread || unread.Filters.Count == 0) continue;
            var filters = unread.Filters.ToList();
            var content = n.Content;
            Assert.Null(n.UnreadFilters);
            Assert.Equal(filters, content.Where(c => c.Filter is not null), ReferenceEqualityComparer.Instance);
            checkedNodes++;
        }
        Assert.True(checkedNodes > 10, $"only {checkedNodes} nodes with filters");
    }

    /// <summary>
    /// Filter sets that rule out subtrees in different ways (top-level only/no, conditional blocks,
    /// dependencies, joins): a cached tree, where variants are decided on their filters first, gives
    /// the parse's dicts, and so does a second expansion of the same cached tree.
    /// </summary>
    [Theory]
    [InlineData("only boot")]
    [InlineData("no boot")]
    [InlineData("only Linux", "no reboot")]
    [InlineData("only Windows", "only boot, shutdown")]
    [InlineData("only q35")]
    [InlineData("no qcow2", "no x86_64")]
    [InlineData("only qemu_kvm_rhel_full")]
    [InlineData("only qemu_kvm_windows_quick")]
    public void Expanding_from_the_cache_gives_the_parse_dicts_for_any_filters(params string[] filters)
    {
        var (dir, tests, cache) = RealTree();
        using var _ = dir;
        Load(cache, tests);
        var expected = Dump(Load(cache, tests, useCache: false, filters).Expand());
        var cached = Load(cache, tests, true, filters);
        Assert.True(cached.FromCache);
        Assert.Equal(expected, Dump(cached.Expand()));
        Assert.Equal(expected, Dump(cached.Expand()));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(40)]
    public void Damage_in_a_late_statement_block_is_found_when_the_entry_is_opened(int fromEnd)
    {
        var (dir, tests, cache) = RealTree();
        using var _ = dir;
        var expected = Dump(Load(cache, tests).Expand());
        var entry = Directory.GetFiles(cache, "*.tree").Single();
        var bytes = File.ReadAllBytes(entry);
        bytes[^fromEnd] ^= 0x5a;
        File.WriteAllBytes(entry, bytes);
        var reloaded = Load(cache, tests);
        Assert.False(reloaded.FromCache);
        Assert.Equal(expected, Dump(reloaded.Expand()));
        Assert.True(Load(cache, tests).FromCache);
    }

    [Fact]
    public void Threads_expanding_one_cached_tree_see_the_same_statements()
    {
        var (dir, tests, cache) = RealTree();
        using var _ = dir;
        var expected = Dump(Load(cache, tests).Expand());
        var cached = Load(cache, tests);
        Assert.True(cached.FromCache);
        var results = new List<string>[8];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => results[i] = Dump(cached.Expand()));
        Assert.All(results, r => Assert.Equal(expected, r));
        Assert.All(Nodes(cached.Config.Root), n => Assert.Same(n.Content, n.Content));
    }
}
