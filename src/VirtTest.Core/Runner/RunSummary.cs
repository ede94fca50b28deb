using System.Globalization;

namespace VirtTest.Core.Runner;

/// <summary>Counts per status of one results folder, the seed's <c>scan_results</c> summary.</summary>
public sealed record RunSummary
{
    public string Path { get; init; } = "";
    public string RunId { get; init; } = "";
    public RunState State { get; init; }
    public int Planned { get; init; }
    public int Total { get; init; }
    public int Passed { get; init; }
    public int Failed { get; init; }
    public int Errors { get; init; }
    public int Skipped { get; init; }
    public int Cancelled { get; init; }
    /// <summary>Tests of the plan that have no result (the run was interrupted first).</summary>
    public int NotRun => Math.Max(0, Planned - Total);
    public TimeSpan Duration { get; init; }
    /// <summary>PASS when every planned test passed or was skipped, else the worst status seen.</summary>
    public string Verdict => State != RunState.Completed && NotRun > 0 ? "INCOMPLETE"
        : Errors > 0 ? "ERROR" : Failed > 0 ? "FAIL" : Cancelled > 0 ? "CANCEL" : "PASS";

    public static RunSummary From(string path, RunInfo run, IReadOnlyList<TestResult> tests) => new()
    {
        Path = path,
        RunId = run.Id,
        State = run.State,
        Planned = run.Planned,
        Total = tests.Count,
        Passed = tests.Count(t => t.Status == TestStatus.Pass),
        Failed = tests.Count(t => t.Status == TestStatus.Fail),
        Errors = tests.Count(t => t.Status == TestStatus.Error),
        Skipped = tests.Count(t => t.Status == TestStatus.Skip),
        Cancelled = tests.Count(t => t.Status == TestStatus.Cancel),
        Duration = (run.End ?? (tests.Count == 0 ? run.Start : tests.Max(t => t.Start.AddSeconds(t.Duration)))) - run.Start,
    };

    public override string ToString()
    {
        var notRun = NotRun > 0 ? string.Create(CultureInfo.InvariantCulture, $", {NotRun} not run") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{Verdict}: {Passed} passed, {Failed} failed, {Errors} errors, {Skipped} skipped, {Cancelled} cancelled{notRun} in {Duration.TotalSeconds:0.#} s");
    }
}
