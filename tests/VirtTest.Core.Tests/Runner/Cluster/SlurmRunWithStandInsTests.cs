using VirtTest.Core.Config;
using VirtTest.Core.Runner;
using VirtTest.Core.Runner.Cluster;

namespace VirtTest.Core.Tests.Runner.Cluster;

/// <summary>
/// The controller of a cluster run against stand-ins for the Slurm commands (small shell scripts
/// that answer from files the test writes): which attempt's result counts, what is recorded of
/// the others, what sbatch is given, what an interrupt cancels. No Slurm runs; the real thing
/// is exercised by tests/Slurm.Tests.ps1 on a local lab.
/// </summary>
public sealed class SlurmRunWithStandInsTests : IDisposable
{
    // Beside the test assembly, not in the temp folder: a temp folder may be mounted noexec.
    private readonly string _bin = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "slurm-stand-ins", Guid.NewGuid().ToString("N"))).FullName;
    private readonly string _results = Path.Combine(Path.GetTempPath(), "virttest-slurmrun-" + Guid.NewGuid().ToString("N"));

    public SlurmRunWithStandInsTests()
    {
        // sbatch queues the job as pending, keeps its arguments and answers its id; squeue
        // answers what the test wrote since. The arguments file comes last (whole, by a rename):
        // the tests wait for it, then write squeue's answers themselves, which sbatch's own
        // write must not overtake (seen: both renaming one temp file at once).
        Script("sbatch", $$"""
            n=$(cat '{{_bin}}/next-id' 2>/dev/null || echo 101); echo $((n + 1)) > '{{_bin}}/next-id'
            echo '{"jobs":[{"job_id":'$n',"job_state":"PENDING","state_reason":"Resources","restart_cnt":0}]}' > '{{_bin}}/squeue.sbatch.tmp'
            mv '{{_bin}}/squeue.sbatch.tmp' '{{_bin}}/squeue.json'
            printf '%s\n' "$@" > '{{_bin}}/sbatch-'$n.args.tmp
            mv '{{_bin}}/sbatch-'$n.args.tmp '{{_bin}}/sbatch-'$n.args
            echo $n
            """);
        Script("squeue", $"cat '{_bin}/squeue.json' 2>/dev/null || echo '{{\"jobs\":[]}}'");
        Script("scancel", $"printf '%s\\n' \"$@\" >> '{_bin}/scancel.args'; echo CANCELLED > '{_bin}/cancelled'");
        Script("sinfo", """
            echo '{"nodes":[{"name":"n1","address":"10.0.0.11","cpus":2,"real_memory":2000,"features":"qemu","partitions":["vm"],"state":"idle"},
            {"name":"n2","address":"10.0.0.12","cpus":2,"real_memory":2000,"features":"qemu","partitions":["vm"],"state":"down","reason":"Not responding"}]}'
            """);
        Script("scontrol", """
            case "$*" in
              *"show partition"*) echo 'PartitionName=vm Default=YES State=UP Nodes=n[1-2]' ;;
              *) echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1 ;;
            esac
            """);
    }

    public void Dispose()
    {
        try { Directory.Delete(_bin, true); } catch (IOException) { }
        try { Directory.Delete(_results, true); } catch (IOException) { }
    }

    private void Script(string name, string body)
    {
        var path = Path.Combine(_bin, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body.Replace("\r", "") + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>What squeue answers from now on (replaced whole, as Slurm's answers are).</summary>
    private void Queue(string job, string state, int restarts, string node)
    {
        var temp = Path.Combine(_bin, "squeue.test.tmp");
        File.WriteAllText(temp, $$"""{"jobs":[{"job_id":{{job}},"job_state":"{{state}}","state_reason":"None","nodes":"{{node}}","batch_host":"{{node}}","restart_cnt":{{restarts}},"exit_code":0}]}""");
        File.Move(temp, Path.Combine(_bin, "squeue.json"), overwrite: true);
    }

    private SlurmRun NewRun(VirtParams test) => new(new SlurmRunOptions
    {
        Tests = new[] { test },
        OutputPath = _results,
        JobCommand = new[] { "/bin/false", "-JobFile" },
        Client = new SlurmClient(_bin),
        PollInterval = TimeSpan.FromMilliseconds(50),
        CancelTimeout = TimeSpan.FromSeconds(5),
    });

    private static VirtParams Test(string name) => new() { ["name"] = name, ["shortname"] = name, ["start_vm"] = "no", ["type"] = "x", ["password"] = "secret" };

    /// <summary>What an attempt's job leaves: attempt.json, and (when it got that far) a results folder with its one result.</summary>
    private void Attempt(string job, int attempt, string node, TestStatus? status, string reason = "")
    {
        var path = ClusterLayout.AttemptFolder(_results, job, attempt);
        new AttemptFolder(path).WriteStart(new AttemptFolder.Start { Job = job, Attempt = attempt, Node = node, Time = DateTimeOffset.Now });
        if (status is null) return;
        var folder = new ResultsFolder(path);
        folder.Begin(new RunInfo { Id = "attempt", Planned = 1, Start = DateTimeOffset.Now });
        var dir = folder.TestDirectory(1, "t");
        File.WriteAllText(Path.Combine(dir, "debug.log"), "log\n");
        folder.Add(new TestResult { Index = 1, Name = "t", ShortName = "t", Status = status.Value, Reason = reason, Directory = folder.Relative(dir),
            Logs = new[] { folder.Relative(Path.Combine(dir, "debug.log")) } });
        folder.Finish(RunState.Completed);
    }

    private async Task<string> SubmittedJobAsync()
    {
        for (var i = 0; i < 400; i++)
        {
            var args = Directory.GetFiles(_bin, "sbatch-*.args");
            if (args.Length > 0) return Path.GetFileNameWithoutExtension(args[0])["sbatch-".Length..];
            await Task.Delay(25);
        }
        throw new TimeoutException("sbatch was never called");
    }

    [Fact]
    public async Task The_final_attempt_counts_and_a_late_result_of_the_requeued_one_is_only_recorded()
    {
        var run = NewRun(Test("t"));
        var work = run.RunAsync(CancellationToken.None);
        var job = await SubmittedJobAsync();
        Assert.Equal("101", job);

        // Attempt 0 ran on n2, which Slurm declared dead; attempt 1 passed on n1. Then the cut-off
        // attempt 0 wrote a FAIL anyway, before the controller merged.
        Attempt(job, 0, "n2", null);
        Queue(job, "RUNNING", 0, "n2");
        await Task.Delay(300);
        Queue(job, "PENDING", 1, "");
        await Task.Delay(300);
        Attempt(job, 1, "n1", TestStatus.Pass);
        Attempt(job, 0, "n2", TestStatus.Fail, "too late");
        Queue(job, "COMPLETED", 1, "n1");
        var summary = await work.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(RunState.Completed, summary.State);
        var result = Assert.Single(run.Results.Tests);
        Assert.Equal(TestStatus.Pass, result.Status);
        Assert.Equal("n1", result.Node);
        Assert.Equal(1, result.Cluster!.Attempt);
        Assert.Equal($"jobs/{job}/attempt1/tests/0001-t/debug.log", Assert.Single(result.Logs));
        var earlier = Assert.Single(result.Cluster.EarlierAttempts);
        Assert.Equal("n2", earlier.Node);
        Assert.Equal(TestStatus.Fail, earlier.LateStatus);
        Assert.Equal("node n2 failed (down: Not responding); Slurm requeued the job", earlier.Reason);
        // The attempt's own folder still has its own result; the run's folder the final one.
        Assert.Equal(TestStatus.Fail, ResultsFolder.Load(ClusterLayout.AttemptFolder(_results, job, 0)).Tests.Single().Status);
        Assert.Equal(TestStatus.Pass, ResultsFolder.Load(_results).Tests.Single().Status);
    }

    [Fact]
    public async Task Sbatch_gets_the_tests_resources_and_the_spec_and_the_params_never_reach_the_results()
    {
        var run = NewRun(Test("t"));
        var work = run.RunAsync(CancellationToken.None);
        var job = await SubmittedJobAsync();
        var args = File.ReadAllLines(Path.Combine(_bin, $"sbatch-{job}.args"));
        var spec = Path.Combine(_results, "jobs", "specs", "0001.json");

        Assert.Contains("--requeue", args);
        Assert.Contains("--mem=64", args);
        Assert.Contains("--cpus-per-task=1", args);
        Assert.Contains("--time=35", args);
        Assert.Contains("--partition=vm", args);
        Assert.DoesNotContain(args, a => a.StartsWith("--constraint", StringComparison.Ordinal));
        Assert.Equal(new[] { Path.Combine(_results, "jobs", "job.sh"), "/bin/false", "-JobFile", spec }, args[^4..]);
        var specText = File.ReadAllText(spec);
        Assert.True(ClusterJobSpec.Load(spec).Params.TryGetValue("password", out var password), specText);
        Assert.Equal("secret", password);

        Attempt(job, 0, "n1", TestStatus.Fail, "2 + 2 is not 5");
        Queue(job, "FAILED", 0, "n1");
        await work.WaitAsync(TimeSpan.FromSeconds(30));
        var result = Assert.Single(run.Results.Tests);
        Assert.Equal(TestStatus.Fail, result.Status);
        Assert.Equal("2 + 2 is not 5", result.Reason);
        Assert.DoesNotContain("secret", File.ReadAllText(Path.Combine(_results, ResultsFolder.ResultsFileName)), StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_results, "jobs", "specs")));
    }

    [Fact]
    public async Task A_job_that_ended_without_a_result_is_an_error_naming_its_state_and_output()
    {
        var run = NewRun(Test("t"));
        var work = run.RunAsync(CancellationToken.None);
        var job = await SubmittedJobAsync();
        File.WriteAllText(ClusterLayout.OutputFile(_results, job), "pwsh: not found\n");
        Queue(job, "FAILED", 0, "n1");
        await work.WaitAsync(TimeSpan.FromSeconds(30));

        var result = Assert.Single(run.Results.Tests);
        Assert.Equal(TestStatus.Error, result.Status);
        Assert.Equal($"Slurm job {job} ended FAILED on n1 without a result; jobs/slurm-{job}.out ends: pwsh: not found", result.Reason);
        Assert.Equal($"jobs/slurm-{job}.out", Assert.Single(result.Logs));
        Assert.Equal("********", result.Params["password"]);
    }

    [Fact]
    public async Task An_interrupt_cancels_the_jobs_and_records_a_started_test_as_cancelled()
    {
        var run = NewRun(Test("t"));
        using var cts = new CancellationTokenSource();
        var work = run.RunAsync(cts.Token);
        var job = await SubmittedJobAsync();
        Attempt(job, 0, "n1", null);
        Queue(job, "RUNNING", 0, "n1");
        await Task.Delay(300);
        cts.Cancel();
        // scancel was called: the stand-in's queue now says the job is over.
        for (var i = 0; i < 200 && !File.Exists(Path.Combine(_bin, "cancelled")); i++) await Task.Delay(25);
        Queue(job, "CANCELLED", 0, "n1");
        var summary = await work.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(RunState.Interrupted, summary.State);
        Assert.Equal(job, File.ReadAllText(Path.Combine(_bin, "scancel.args")).Trim());
        var result = Assert.Single(run.Results.Tests);
        Assert.Equal(TestStatus.Cancel, result.Status);
        Assert.Equal("interrupted by the user", result.Reason);
        Assert.Equal("n1", result.Node);
    }
}
