using System.Diagnostics;
using System.Text.Json;
using VirtTest.Core.Config;
using VirtTest.Core.Runner;
using Xunit;

namespace VirtTest.Core.Tests.Runner;

/// <summary>What test scripts use besides VMs: named steps, ERROR and CANCEL, host commands around a test, waiting for a condition.</summary>
public sealed class TestHelpersTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vt-helpers-" + Guid.NewGuid().ToString("N"));

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
        ["stepped-fail"] = (c, _) =>
        {
            c.Steps.Begin("prepare the data");
            c.Steps.Begin("check the sum");
            throw new InvalidOperationException("the sum is not 7");
        },
        ["stepped-pass"] = (c, _) =>
        {
            c.Steps.Begin("one");
            c.Steps.Begin("two");
            return Task.CompletedTask;
        },
        ["error"] = (c, _) => { c.Steps.Begin("set up"); throw new TestErrorException("the lab network is down"); },
        ["cancel"] = (_, _) => throw new TestCancelledException("needs two NUMA nodes"),
        ["fail"] = (_, _) => throw new InvalidOperationException("broken"),
        ["marker"] = (c, _) => { File.WriteAllText(Path.Combine(c.Directory, "body.txt"), "ran"); return Task.CompletedTask; },
    };

    private async Task<IReadOnlyDictionary<string, TestResult>> RunAsync(params VirtParams[] tests) =>
        (await DelegateExecutor.RunOneByOneAsync(tests, _dir, Bodies)).ByName;

    private string TestDir(TestResult r) => Path.Combine(_dir, r.Directory);

    [Fact]
    public async Task A_failure_names_its_step_and_the_steps_are_in_results_json_and_the_report()
    {
        var r = await RunAsync(T("f", "stepped-fail"), T("p", "stepped-pass"), T("e", "error"));
        Assert.Equal(TestStatus.Fail, r["f"].Status);
        Assert.Equal("In step 2 'check the sum': the sum is not 7", r["f"].Reason);
        Assert.Equal("check the sum", r["f"].FailedStep);
        Assert.Equal(new[] { "prepare the data", "check the sum" }, r["f"].Steps.Select(s => s.Name));
        Assert.Equal(new[] { 1, 2 }, r["f"].Steps.Select(s => s.Number));
        Assert.Equal(TestStatus.Pass, r["p"].Status);
        Assert.Equal("", r["p"].Reason);
        Assert.Null(r["p"].FailedStep);
        Assert.Equal(2, r["p"].Steps.Count);
        Assert.Equal(TestStatus.Error, r["e"].Status);
        Assert.Equal("In step 1 'set up': the lab network is down", r["e"].Reason);

        Assert.Contains("STEP 2: check the sum", await File.ReadAllTextAsync(Path.Combine(TestDir(r["f"]), "debug.log")));
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "results.json")));
        var failed = json.RootElement.GetProperty("tests").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "f");
        Assert.Equal("check the sum", failed.GetProperty("failedStep").GetString());
        Assert.Equal(2, failed.GetProperty("steps").GetArrayLength());
        var html = await File.ReadAllTextAsync(Path.Combine(_dir, "report.html"));
        Assert.Contains("<th>Steps</th>", html);
        Assert.Contains("<li class=\"failed\" title=\"failed here\">check the sum", html);
        Assert.Contains("<li>prepare the data", html);
    }

    [Fact]
    public async Task A_test_can_end_itself_as_CANCEL()
    {
        var r = await RunAsync(T("c", "cancel"));
        Assert.Equal(TestStatus.Cancel, r["c"].Status);
        Assert.Equal("needs two NUMA nodes", r["c"].Reason);
    }

    [Fact]
    public async Task Pre_command_runs_as_an_argument_list_in_the_test_folder_with_the_params_but_no_password()
    {
        var r = await RunAsync(
            T("args", "pass", ("pre_command", "touch 'a;b' plain"), ("greeting", "hello")),
            T("env", "pass", ("pre_command", "sh -c 'env > env.txt'"), ("greeting", "hello world"), ("password", "S3cret-Pw")),
            T("shell", "pass", ("pre_command", "echo \"$VIRTTEST_PARAM_GREETING\" > shell.txt; echo second >> shell.txt"), ("pre_command_shell", "yes"), ("greeting", "hi")));
        Assert.All(r.Values, t => Assert.Equal(TestStatus.Pass, t.Status));
        // No shell: ';' is part of a file name, not a command separator.
        Assert.True(File.Exists(Path.Combine(TestDir(r["args"]), "a;b")));
        Assert.True(File.Exists(Path.Combine(TestDir(r["args"]), "plain")));
        var env = await File.ReadAllTextAsync(Path.Combine(TestDir(r["env"]), "env.txt"));
        Assert.Contains("VIRTTEST_PARAM_GREETING=hello world", env);
        Assert.DoesNotContain("S3cret-Pw", env);
        Assert.Equal("hi\nsecond\n", await File.ReadAllTextAsync(Path.Combine(TestDir(r["shell"]), "shell.txt")));
    }

    [Fact]
    public async Task A_failing_pre_command_is_an_ERROR_before_the_body_unless_noncritical()
    {
        var r = await RunAsync(
            T("critical", "marker", ("pre_command", "sh -c 'echo about to fail; exit 3'")),
            T("noncritical", "marker", ("pre_command", "false"), ("pre_command_noncritical", "yes")),
            T("missing", "marker", ("pre_command", "/no/such/program")));
        Assert.Equal(TestStatus.Error, r["critical"].Status);
        Assert.Contains("pre_command 'sh -c 'echo about to fail; exit 3'' exited with 3; last output: about to fail", r["critical"].Reason);
        Assert.False(File.Exists(Path.Combine(TestDir(r["critical"]), "body.txt")));
        Assert.Equal(TestStatus.Pass, r["noncritical"].Status);
        Assert.True(File.Exists(Path.Combine(TestDir(r["noncritical"]), "body.txt")));
        Assert.Contains("pre_command_noncritical = yes", await File.ReadAllTextAsync(Path.Combine(TestDir(r["noncritical"]), "debug.log")));
        Assert.Equal(TestStatus.Error, r["missing"].Status);
        Assert.Contains("could not start '/no/such/program'", r["missing"].Reason);
    }

    [Fact]
    public async Task A_pre_command_past_its_timeout_is_killed()
    {
        var clock = Stopwatch.StartNew();
        var r = await RunAsync(T("slow", "marker", ("pre_command", "sleep 60"), ("pre_command_timeout", "1")));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Equal(TestStatus.Error, r["slow"].Status);
        Assert.Contains("timed out after 1 s and was killed", r["slow"].Reason);
    }

    [Fact]
    public async Task Post_command_runs_after_any_outcome_and_a_critical_failure_makes_a_pass_an_ERROR()
    {
        var r = await RunAsync(
            T("after-fail", "fail", ("post_command", "touch post.txt")),
            T("post-fails", "pass", ("post_command", "false")),
            T("post-noncritical", "pass", ("post_command", "false"), ("post_command_noncritical", "yes")));
        Assert.Equal(TestStatus.Fail, r["after-fail"].Status);
        Assert.True(File.Exists(Path.Combine(TestDir(r["after-fail"]), "post.txt")));
        Assert.Equal(TestStatus.Error, r["post-fails"].Status);
        Assert.Contains("post_command 'false' exited with 1", r["post-fails"].Reason);
        Assert.Equal(TestStatus.Pass, r["post-noncritical"].Status);
    }

    [Fact]
    public void ConditionWait_returns_the_first_true_value_and_times_out_naming_what_it_waited_for()
    {
        var tries = 0;
        var value = ConditionWait.Until(() => ++tries >= 3 ? "ready" : null, v => v is not null, "the third try", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20));
        Assert.Equal("ready", value);
        Assert.Equal(3, tries);

        var clock = Stopwatch.StartNew();
        var calls = 0;
        var ex = Assert.Throws<WaitTimeoutException>(() =>
            ConditionWait.Until(() => { calls++; return false; }, v => v is true, "something that never happens", TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(100)));
        // The deadline holds (no early give-up); how many tries fit in it depends on the machine's load,
        // so the count is checked against the calls made, and that it tried more than once.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"gave up after {clock.Elapsed}");
        Assert.Contains("something that never happens", ex.Message);
        Assert.Contains("returned False", ex.Message);
        Assert.Equal(calls, ex.Tries);
        Assert.True(calls >= 2, $"tried {calls} time(s)");
        Assert.Equal("WaitTimeout", ex.ErrorId);
    }

    [Fact]
    public void ConditionWait_errors_end_the_wait_unless_retried_and_cancellation_stops_it()
    {
        Assert.Throws<InvalidOperationException>(() =>
            ConditionWait.Until(() => throw new InvalidOperationException("no route"), _ => true, "x", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10)));

        var calls = 0;
        Assert.Equal(42, ConditionWait.Until(() => ++calls < 3 ? throw new InvalidOperationException("not yet") : 42, v => v is 42, "x",
            TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10), retryOnError: true));
        var timeout = Assert.Throws<WaitTimeoutException>(() => ConditionWait.Until(() => throw new InvalidOperationException("connection refused"), _ => true,
            "SSH", TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(20), retryOnError: true));
        Assert.Contains("the last try failed: connection refused", timeout.Message);

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var clock = Stopwatch.StartNew();
        Assert.ThrowsAny<OperationCanceledException>(() => ConditionWait.Until(() => false, v => v is true, "x", TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(1), ct: cts.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"cancel took {clock.Elapsed}");
    }
}
