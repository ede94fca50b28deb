using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;
using VirtTest.Core.Config;
using VirtTest.Core.Runner;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Runner;

/// <summary>The runner with C# test bodies and no VMs: statuses, timeouts, interrupts, the results folder.</summary>
public sealed class TestRunTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vt-run-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static VirtParams T(string name, string type, params (string Key, string Value)[] extra)
    {
        var p = new VirtParams { ["name"] = name, ["shortname"] = name, ["dep"] = "", ["type"] = type };
        foreach (var (k, v) in extra) p[k] = v;
        return p;
    }

    private static readonly Dictionary<string, Func<TestContext, CancellationToken, Task>> Bodies = new()
    {
        ["pass"] = (_, _) => Task.CompletedTask,
        ["fail"] = (_, _) => throw new InvalidOperationException("the answer was 41\nsecond line"),
        ["skip"] = (_, _) => throw new TestSkippedException("no such hardware"),
        ["unsupported"] = (_, _) => throw new NotSupportedByBackendException("xen", VmCapability.Screendump),
        ["hang"] = async (_, ct) => await Task.Delay(Timeout.Infinite, ct),
        ["deaf"] = (_, _) => { Thread.Sleep(3000); return Task.CompletedTask; }, // ignores cancellation
        ["log"] = (c, _) => { c.Log.Write("hello from the body"); File.WriteAllText(Path.Combine(c.Directory, "shot.png"), "x"); return Task.CompletedTask; },
    };

    private TestRun NewRun(IReadOnlyList<VirtParams> tests, int jobs = 2, Func<int, ITestExecutor>? factory = null, TimeSpan? abandonAfter = null) =>
        new(new TestRunOptions
        {
            Tests = tests,
            OutputPath = _dir,
            Jobs = jobs,
            ExecutorFactory = factory ?? (_ => new DelegateExecutor(Bodies)),
            AbandonAfter = abandonAfter ?? TimeSpan.FromSeconds(15),
            Capacity = new HostCapacity(8192, 4),
        });

    [Fact]
    public async Task Each_outcome_gets_its_status_and_a_one_line_reason()
    {
        var run = NewRun(new[]
        {
            T("p", "pass"), T("f", "fail"), T("s", "skip"), T("u", "unsupported"), T("e", "no-such-type"),
        });
        var summary = await run.RunAsync(CancellationToken.None);
        var byName = run.Results.Tests.ToDictionary(t => t.Name);
        Assert.Equal(TestStatus.Pass, byName["p"].Status);
        Assert.Equal("", byName["p"].Reason);
        Assert.Equal(TestStatus.Fail, byName["f"].Status);
        Assert.Equal("the answer was 41 second line", byName["f"].Reason);
        Assert.Equal(TestStatus.Skip, byName["s"].Status);
        Assert.Equal("no such hardware", byName["s"].Reason);
        Assert.Equal(TestStatus.Skip, byName["u"].Status);
        Assert.Contains("Screendump", byName["u"].Reason);
        Assert.Equal(TestStatus.Error, byName["e"].Status);
        Assert.Contains("no-such-type", byName["e"].Reason);
        Assert.Equal((1, 1, 1, 2), (summary.Passed, summary.Failed, summary.Errors, summary.Skipped));
        Assert.Equal("ERROR", summary.Verdict);
        Assert.Equal(RunState.Completed, summary.State);
    }

    [Fact]
    public async Task A_hanging_test_is_stopped_at_its_timeout_as_ERROR_and_the_next_test_runs()
    {
        var run = NewRun(new[] { T("h", "hang", ("test_timeout", "1")), T("after", "pass") }, jobs: 1);
        var clock = Stopwatch.StartNew();
        await run.RunAsync(CancellationToken.None);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        var h = run.Results.Tests.Single(t => t.Name == "h");
        Assert.Equal(TestStatus.Error, h.Status);
        Assert.Equal("timed out after 1 s", h.Reason);
        Assert.Equal(TestStatus.Pass, run.Results.Tests.Single(t => t.Name == "after").Status);
    }

    [Fact]
    public async Task A_body_that_ignores_cancellation_is_abandoned_and_the_worker_gets_a_fresh_executor()
    {
        var made = new List<DelegateExecutor>();
        var run = NewRun(new[] { T("deaf", "deaf", ("test_timeout", "0.5")), T("after", "pass") }, jobs: 1,
            factory: _ => { var e = new DelegateExecutor(Bodies); lock (made) made.Add(e); return e; },
            abandonAfter: TimeSpan.FromMilliseconds(200));
        await run.RunAsync(CancellationToken.None);
        Assert.Equal(TestStatus.Error, run.Results.Tests[0].Status);
        Assert.Equal(TestStatus.Pass, run.Results.Tests[1].Status);
        Assert.Equal(2, made.Count);
        Assert.Contains("abandoning", File.ReadAllText(Path.Combine(_dir, run.Results.Tests[0].Directory, "debug.log")));
    }

    [Fact]
    public async Task Cancelling_a_run_cancels_the_running_tests_and_leaves_a_valid_interrupted_results_file()
    {
        var tests = Enumerable.Range(1, 6).Select(i => i <= 2 ? T($"quick{i}", "pass") : T($"hang{i}", "hang")).ToList();
        var run = NewRun(tests, jobs: 2);
        using var cts = new CancellationTokenSource();
        var work = run.RunAsync(cts.Token);
        while (run.Done < 2) await Task.Delay(20);
        await Task.Delay(200);
        var clock = Stopwatch.StartNew();
        cts.Cancel();
        var summary = await work;
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Equal(RunState.Interrupted, summary.State);
        Assert.Equal(2, summary.Passed);
        Assert.Equal(2, summary.Cancelled);
        Assert.Equal(2, summary.NotRun);
        Assert.Equal("INCOMPLETE", summary.Verdict);
        Assert.All(run.Results.Tests.Where(t => t.Status == TestStatus.Cancel), t => Assert.Equal("interrupted by the user", t.Reason));

        var loaded = ResultsFolder.Load(_dir);
        Assert.Equal(RunState.Interrupted, loaded.Run.State);
        Assert.Equal(4, loaded.Tests.Count);
        Assert.True(File.Exists(Path.Combine(_dir, "junit.xml")));
        Assert.True(File.Exists(Path.Combine(_dir, "report.html")));
    }

    [Fact]
    public async Task A_results_file_of_a_run_that_never_finished_reads_as_interrupted()
    {
        var run = NewRun(new[] { T("a", "pass") });
        await run.RunAsync(CancellationToken.None);
        // What a killed runner leaves: state still "RUNNING", no end.
        var file = Path.Combine(_dir, "results.json");
        File.WriteAllText(file, File.ReadAllText(file).Replace("\"COMPLETED\"", "\"RUNNING\""));
        var loaded = ResultsFolder.Load(_dir);
        Assert.Equal(RunState.Interrupted, loaded.Run.State);
        Assert.Single(loaded.Tests);
    }

    [Fact]
    public async Task Results_json_has_every_test_with_its_params_logs_and_files_the_test_left()
    {
        var run = NewRun(new[] { T("l", "log", ("password", "s3cret-value"), ("mem", "256")) });
        await run.RunAsync(CancellationToken.None);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_dir, "results.json")));
        var test = doc.RootElement.GetProperty("tests")[0];
        Assert.Equal("PASS", test.GetProperty("status").GetString());
        Assert.Equal("256", test.GetProperty("params").GetProperty("mem").GetString());
        Assert.DoesNotContain("s3cret-value", File.ReadAllText(Path.Combine(_dir, "results.json")));
        Assert.DoesNotContain("s3cret-value", File.ReadAllText(Path.Combine(_dir, "report.html")));
        var logs = test.GetProperty("logs").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Contains(logs, l => l.EndsWith("/debug.log", StringComparison.Ordinal));
        Assert.Contains("hello from the body", File.ReadAllText(Path.Combine(_dir, logs[0])));
        Assert.Single(test.GetProperty("screenshots").EnumerateArray(), s => s.GetString()!.EndsWith("shot.png", StringComparison.Ordinal));
    }

    [Fact]
    public async Task JUnit_xml_counts_and_marks_each_status()
    {
        var run = NewRun(new[] { T("p", "pass"), T("f", "fail"), T("s", "skip"), T("e", "no-such-type") });
        await run.RunAsync(CancellationToken.None);
        var suite = XDocument.Load(Path.Combine(_dir, "junit.xml")).Root!.Element("testsuite")!;
        Assert.Equal("4", suite.Attribute("tests")!.Value);
        Assert.Equal("1", suite.Attribute("failures")!.Value);
        Assert.Equal("1", suite.Attribute("errors")!.Value);
        Assert.Equal("1", suite.Attribute("skipped")!.Value);
        var cases = suite.Elements("testcase").ToDictionary(c => c.Attribute("name")!.Value);
        Assert.DoesNotContain(cases["p"].Elements(), e => e.Name != "system-out");
        Assert.Equal("the answer was 41 second line", cases["f"].Element("failure")!.Attribute("message")!.Value);
        Assert.NotNull(cases["s"].Element("skipped"));
        Assert.NotNull(cases["e"].Element("error"));
    }

    [Fact]
    public async Task Comparing_two_runs_finds_newly_failing_newly_passing_slower_added_and_removed()
    {
        var before = new[]
        {
            new TestResult { Index = 1, Name = "a", ShortName = "a", Status = TestStatus.Pass, Duration = 1 },
            new TestResult { Index = 2, Name = "b", ShortName = "b", Status = TestStatus.Fail, Duration = 1 },
            new TestResult { Index = 3, Name = "c", ShortName = "c", Status = TestStatus.Pass, Duration = 2 },
            new TestResult { Index = 4, Name = "d", ShortName = "d", Status = TestStatus.Pass, Duration = 2 },
            new TestResult { Index = 5, Name = "gone", ShortName = "gone", Status = TestStatus.Pass, Duration = 2 },
        };
        var after = new[]
        {
            new TestResult { Index = 1, Name = "a", ShortName = "a", Status = TestStatus.Fail, Duration = 1, Reason = "broke" },
            new TestResult { Index = 2, Name = "b", ShortName = "b", Status = TestStatus.Pass, Duration = 1 },
            new TestResult { Index = 3, Name = "c", ShortName = "c", Status = TestStatus.Pass, Duration = 9 },
            new TestResult { Index = 4, Name = "d", ShortName = "d", Status = TestStatus.Pass, Duration = 2.5 },
            new TestResult { Index = 5, Name = "new", ShortName = "new", Status = TestStatus.Pass, Duration = 2 },
        };
        var changes = ResultComparison.Compare(before, after).ToDictionary(c => c.Name, c => c.Change);
        Assert.Equal(ResultChangeKind.NewlyFailing, changes["a"]);
        Assert.Equal(ResultChangeKind.NewlyPassing, changes["b"]);
        Assert.Equal(ResultChangeKind.Slower, changes["c"]);
        Assert.Equal(ResultChangeKind.Unchanged, changes["d"]);
        Assert.Equal(ResultChangeKind.Added, changes["new"]);
        Assert.Equal(ResultChangeKind.Removed, changes["gone"]);
    }
}
