namespace VirtTest.Core.Runner;

/// <summary>How one test differs between two runs.</summary>
public enum ResultChangeKind
{
    Unchanged,
    /// <summary>Passed before (or was new), does not pass now.</summary>
    NewlyFailing,
    /// <summary>Did not pass before, passes now.</summary>
    NewlyPassing,
    /// <summary>Another non-passing status than before (e.g. FAIL → ERROR).</summary>
    StatusChanged,
    /// <summary>Same status, but took at least the slower factor longer.</summary>
    Slower,
    /// <summary>Only in the current run.</summary>
    Added,
    /// <summary>Only in the baseline run.</summary>
    Removed,
}

/// <summary>One test compared across two runs (matched by full name).</summary>
public sealed record TestResultChange(string Name, string ShortName, ResultChangeKind Change, TestStatus? Before, TestStatus? After,
    double? BeforeDuration, double? AfterDuration, string Reason);

/// <summary>The seed's result scanning across runs: newly failing, newly passing, slower.</summary>
public static class ResultComparison
{
    /// <param name="baseline">The earlier run.</param>
    /// <param name="current">The run to judge.</param>
    /// <param name="slowerFactor">A test is slower when it took this many times as long as before...</param>
    /// <param name="slowerMinimumSeconds">...and at least this much longer (so noise on short tests is not reported).</param>
    public static IReadOnlyList<TestResultChange> Compare(IReadOnlyList<TestResult> baseline, IReadOnlyList<TestResult> current,
        double slowerFactor = 1.5, double slowerMinimumSeconds = 1.0)
    {
        var before = baseline.GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
        var changes = new List<TestResultChange>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var now in current.OrderBy(t => t.Index))
        {
            if (!seen.Add(now.Name)) continue;
            if (!before.TryGetValue(now.Name, out var old))
            {
                changes.Add(new TestResultChange(now.Name, now.ShortName, ResultChangeKind.Added, null, now.Status, null, now.Duration, now.Reason));
                continue;
            }
            var kind = (old.Status, now.Status) switch
            {
                (TestStatus.Pass, not TestStatus.Pass) => ResultChangeKind.NewlyFailing,
                (not TestStatus.Pass, TestStatus.Pass) => ResultChangeKind.NewlyPassing,
                var (a, b) when a != b => ResultChangeKind.StatusChanged,
                _ when now.Duration >= old.Duration * slowerFactor && now.Duration - old.Duration >= slowerMinimumSeconds => ResultChangeKind.Slower,
                _ => ResultChangeKind.Unchanged,
            };
            changes.Add(new TestResultChange(now.Name, now.ShortName, kind, old.Status, now.Status, old.Duration, now.Duration, now.Reason));
        }
        foreach (var old in baseline.OrderBy(t => t.Index))
        {
            if (seen.Add(old.Name))
                changes.Add(new TestResultChange(old.Name, old.ShortName, ResultChangeKind.Removed, old.Status, null, old.Duration, null, old.Reason));
        }
        return changes;
    }
}
