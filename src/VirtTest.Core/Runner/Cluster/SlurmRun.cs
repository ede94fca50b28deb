using System.Globalization;
using System.Threading.Channels;
using VirtTest.Core.Config;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>
/// The controller side of a run on a Slurm cluster: checks the cluster can take every test,
/// submits one job per test (<c>sbatch --requeue</c>, <c>dep</c> as <c>afterok</c>
/// dependencies), polls the jobs' states, and merges each job's result (the attempt Slurm
/// finished, never an earlier one) into the same results folder a local run writes, with the
/// node per test. Cancelling the token cancels every job and leaves the folder marked
/// interrupted.
/// </summary>
public sealed class SlurmRun
{
    private readonly SlurmRunOptions _options;
    private readonly SlurmClient _client;
    private readonly object _gate = new();
    private readonly Channel<TestResult> _finished = Channel.CreateUnbounded<TestResult>();
    private readonly List<Job> _jobs;
    private int _done;

    public SlurmRun(SlurmRunOptions options)
    {
        _options = options;
        _client = options.Client;
        Results = new ResultsFolder(options.OutputPath);
        _jobs = options.Tests.Select((p, i) => new Job(i, p)).ToList();
        // dep names tests by their full name; one that is not part of this run is ignored, as locally.
        var byName = _jobs.ToLookup(j => j.Params.Name, StringComparer.Ordinal);
        foreach (var job in _jobs)
        {
            foreach (var dep in job.Params.Dep)
                job.DependsOn.AddRange(byName[dep].Where(d => d.Index != job.Index).Select(d => d.Index));
        }
    }

    public ResultsFolder Results { get; }
    public int Planned => _jobs.Count;
    public int Done => Volatile.Read(ref _done);
    /// <summary>The partition the run uses (known once it started).</summary>
    public string? Partition { get; private set; }

    /// <summary>Every result as its job ends (completes when the run ends).</summary>
    public ChannelReader<TestResult> Finished => _finished.Reader;

    /// <summary>Jobs submitted and not finished that wait for a node.</summary>
    public int Pending { get { lock (_gate) return _jobs.Count(j => j.Id is not null && !j.Finished && j.RunningSince is null); } }

    /// <summary>What runs on each node now.</summary>
    public IReadOnlyList<ClusterNodeStatus> Nodes
    {
        get
        {
            lock (_gate)
            {
                return _jobs.Where(j => !j.Finished && j.RunningSince is not null && j.Node is not null)
                    .GroupBy(j => j.Node!, StringComparer.Ordinal)
                    .OrderBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => new ClusterNodeStatus(g.Key, g.Select(j => (j.Params.ShortName, j.RunningSince!.Value)).ToList()))
                    .ToList();
            }
        }
    }

    public async Task<RunSummary> RunAsync(CancellationToken ct)
    {
        // Nothing is written or submitted before the cluster is known to take every test.
        ClusterPreflight.Plan plan;
        try
        {
            plan = await ClusterPreflight.CheckAsync(_client, _options.Tests, _options.Partition, _options.Constraint, _options.DefaultTimeout, ct).ConfigureAwait(false);
        }
        catch
        {
            _finished.Writer.TryComplete();
            throw;
        }
        Partition = plan.Partition;
        var start = DateTimeOffset.Now;
        Results.Begin(new RunInfo
        {
            Id = start.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            Config = _options.ConfigFiles,
            Filters = _options.Filters,
            TestPath = string.Join(Path.PathSeparator, _options.TestPath),
            Jobs = plan.Nodes.Count,
            Start = start,
            State = RunState.Running,
            Planned = Planned,
            Scheduler = "slurm",
            Partition = plan.Partition,
        });
        PrepareJobsFolder();
        var state = RunState.Interrupted;
        var failed = true;
        try
        {
            await SubmitAllAsync(Results.Run.Id, ct).ConfigureAwait(false);
            await PollUntilDoneAsync(ct).ConfigureAwait(false);
            state = RunState.Completed;
            failed = false;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            failed = false;
        }
        finally
        {
            if (_jobs.Any(j => !j.Finished)) await CancelRemainingAsync(interrupted: !failed).ConfigureAwait(false);
            Results.Finish(state);
            ReportWriter.WriteAll(Results);
            // The specs hold the tests' params (passwords too): they were for the jobs only.
            try { Directory.Delete(ClusterLayout.SpecFolder(Results.Path), recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            _finished.Writer.TryComplete();
        }
        return Results.Summary();
    }

    private void PrepareJobsFolder()
    {
        var jobs = ClusterLayout.JobsFolder(Results.Path);
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(jobs);
        else Directory.CreateDirectory(jobs, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(ClusterLayout.SpecFolder(Results.Path));
        File.WriteAllText(ClusterLayout.BatchScript(Results.Path), ClusterLayout.BatchScriptText);
        foreach (var (name, text) in _options.JobFiles) File.WriteAllText(Path.Combine(jobs, Path.GetFileName(name)), text);
    }

    /// <summary>Submits every test, each after its dependencies (a test whose dependencies can never come first is skipped).</summary>
    private async Task SubmitAllAsync(string runId, CancellationToken ct)
    {
        var submitted = new HashSet<int>();
        var remaining = _jobs.ToList();
        var lastPoll = DateTime.UtcNow;
        while (remaining.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var next = remaining.FirstOrDefault(j => j.DependsOn.All(d => submitted.Contains(d) || _jobs[d].Finished));
            if (next is null)
            {
                // Nothing can go first: the rest depends on itself (a cycle).
                foreach (var j in remaining) RecordSkip(j, "its dependencies can never run before it (a dependency cycle or order)");
                return;
            }
            remaining.Remove(next);
            if (next.Finished) continue;
            var failedDep = next.DependsOn.Select(d => _jobs[d]).FirstOrDefault(d => d.Finished && d.Status != TestStatus.Pass);
            if (failedDep is not null)
            {
                RecordSkip(next, $"dependency {failedDep.Params.ShortName} did not pass ({failedDep.Status.ToString().ToUpperInvariant()})");
                continue;
            }
            await SubmitAsync(next, runId, ct).ConfigureAwait(false);
            if (next.Id is not null) submitted.Add(next.Index);
            // A long matrix takes a while to submit: results of the first jobs come in meanwhile.
            if (DateTime.UtcNow - lastPoll > _options.PollInterval * 4)
            {
                await TryPollAsync(ct).ConfigureAwait(false);
                lastPoll = DateTime.UtcNow;
            }
        }
    }

    private async Task TryPollAsync(CancellationToken ct)
    {
        List<Job> open;
        lock (_gate) open = _jobs.Where(j => !j.Finished && j.Id is not null).ToList();
        try { await PollOnceAsync(open, ct).ConfigureAwait(false); }
        catch (SlurmException) { /* the poll loop after the submissions retries */ }
    }

    private async Task SubmitAsync(Job job, string runId, CancellationToken ct)
    {
        var resources = SlurmJobResources.For(job.Params, _options.DefaultTimeout, _options.Constraint);
        var specPath = ClusterLayout.SpecFile(Results.Path, job.Index + 1);
        new ClusterJobSpec
        {
            RunId = runId,
            Index = job.Index + 1,
            ResultsPath = Results.Path,
            TestPath = _options.TestPath,
            DefaultTimeoutSec = _options.DefaultTimeout.TotalSeconds,
            Config = _options.ConfigFiles,
            Filters = _options.Filters,
            JobCommand = _options.JobCommand,
            Params = job.Params.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
        }.Save(specPath);
        var request = new SlurmJobRequest
        {
            Name = JobName(job),
            Script = ClusterLayout.BatchScript(Results.Path),
            Command = _options.JobCommand.Append(specPath).ToList(),
            Output = ClusterLayout.OutputPattern(Results.Path),
            WorkingDirectory = Results.Path,
            Partition = Partition,
            Nodes = resources.Nodes,
            CpusPerTask = resources.Cpus,
            MemoryMB = resources.MemoryMB,
            TimeMinutes = resources.TimeMinutes,
            Constraint = resources.Constraint,
            AfterOk = job.DependsOn.Select(d => _jobs[d].Id).OfType<string>().ToList(),
            Comment = "virttest run " + runId + " test " + (job.Index + 1).ToString(CultureInfo.InvariantCulture),
        };
        var submittedAt = DateTimeOffset.Now;
        try
        {
            var id = await _client.SubmitAsync(request, ct).ConfigureAwait(false);
            lock (_gate)
            {
                job.Id = id;
                job.Submitted = submittedAt;
            }
        }
        catch (SlurmException ex)
        {
            Record(job, NewResult(job, TestStatus.Error, "Slurm refused the job: " + TestRun.OneLine(ex.Message), submittedAt));
        }
    }

    private static string JobName(Job job)
    {
        var name = string.Concat(job.Params.ShortName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));
        return "vt-" + (name.Length > 60 ? name[..60] : name);
    }

    private async Task PollUntilDoneAsync(CancellationToken ct)
    {
        var lastAnswer = DateTime.UtcNow;
        while (true)
        {
            List<Job> open;
            lock (_gate) open = _jobs.Where(j => !j.Finished && j.Id is not null).ToList();
            if (open.Count == 0) return;
            try
            {
                await PollOnceAsync(open, ct).ConfigureAwait(false);
                lastAnswer = DateTime.UtcNow;
            }
            catch (SlurmException) when (DateTime.UtcNow - lastAnswer < _options.ControllerOutage)
            {
                // The controller may be restarting: the jobs go on meanwhile.
            }
            await Task.Delay(_options.PollInterval, ct).ConfigureAwait(false);
        }
    }

    private async Task PollOnceAsync(IReadOnlyList<Job> open, CancellationToken ct)
    {
        var known = (await _client.GetJobsAsync(ct).ConfigureAwait(false)).ToDictionary(j => j.JobId, StringComparer.Ordinal);
        IReadOnlyList<SlurmNode>? nodes = null;
        foreach (var job in open)
        {
            if (job.Finished) continue; // skipped meanwhile by a failed dependency
            var info = known.GetValueOrDefault(job.Id!) ?? await _client.ShowJobAsync(job.Id!, ct).ConfigureAwait(false);
            if (info is null)
            {
                // Slurm forgot the job (MinJobAge): whatever it left is all there is.
                FinishForgotten(job);
                continue;
            }
            if (info.Restarts > job.Attempt)
            {
                nodes ??= await TryGetNodesAsync(ct).ConfigureAwait(false);
                NoteRequeue(job, info, nodes);
            }
            if (info.IsRunning)
            {
                lock (_gate)
                {
                    var node = info.BatchHost.Length > 0 ? info.BatchHost : info.Nodes;
                    if (job.RunningSince is null || job.Node != node) job.RunningSince = DateTimeOffset.Now;
                    job.Node = node;
                    job.AttemptNodes[info.Restarts] = node;
                }
            }
            else if (info.IsPending)
            {
                lock (_gate) job.RunningSince = null;
                if (info.Reason == "DependencyNeverSatisfied")
                {
                    var dep = job.DependsOn.Select(d => _jobs[d]).FirstOrDefault(d => d.Finished && d.Status != TestStatus.Pass);
                    await FinishAsSkippedAsync(job, dep is null ? "a dependency did not pass" : $"dependency {dep.Params.ShortName} did not pass ({dep.Status.ToString().ToUpperInvariant()})", ct).ConfigureAwait(false);
                }
            }
            else if (info.IsFinal)
            {
                await FinishAsync(job, info, cancelledByUs: false, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task<IReadOnlyList<SlurmNode>> TryGetNodesAsync(CancellationToken ct)
    {
        try { return await _client.GetNodesAsync(ct).ConfigureAwait(false); }
        catch (SlurmException) { return Array.Empty<SlurmNode>(); }
    }

    /// <summary>Slurm restarted the job: each attempt before the current one is recorded with why it was given up.</summary>
    private void NoteRequeue(Job job, SlurmJobInfo info, IReadOnlyList<SlurmNode> nodes)
    {
        lock (_gate)
        {
            for (var k = job.Attempt; k < info.Restarts; k++)
            {
                var node = job.AttemptNodes.GetValueOrDefault(k) ?? new AttemptFolder(ClusterLayout.AttemptFolder(Results.Path, job.Id!, k)).ReadStart()?.Node ?? "";
                var state = nodes.FirstOrDefault(n => n.Name == node);
                job.AttemptReasons[k] = state is { IsDown: true }
                    ? $"node {node} failed ({state.State}" + (state.Reason.Length > 0 ? $": {state.Reason}" : "") + "); Slurm requeued the job"
                    : $"Slurm requeued the job (now {info.State}" + (info.Reason is { Length: > 0 } and not "None" ? $", {info.Reason}" : "") + ")";
            }
            job.Attempt = info.Restarts;
            job.RunningSince = null;
        }
    }

    private async Task FinishAsync(Job job, SlurmJobInfo info, bool cancelledByUs, CancellationToken ct)
    {
        var attempt = new AttemptFolder(ClusterLayout.AttemptFolder(Results.Path, job.Id!, info.Restarts));
        var start = attempt.ReadStart();
        var placement = Placement(job, info.Restarts, start, info.State, attempt, info.BatchHost.Length > 0 ? info.BatchHost : info.Nodes);
        var own = attempt.ReadResult();
        TestResult result;
        if (own is not null)
        {
            result = attempt.Rebase(own, Results, job.Index + 1, placement);
        }
        else
        {
            var status = cancelledByUs ? TestStatus.Cancel : TestStatus.Error;
            var reason = cancelledByUs ? "interrupted by the user"
                : $"Slurm job {job.Id} ended {info.State}{ExitText(info)} on {(placement.Node.Length > 0 ? placement.Node : "no node")} without a result" + OutputTail(job.Id!);
            result = NewResult(job, status, reason, start?.Time ?? info.StartTime ?? DateTimeOffset.Now) with
            {
                Node = placement.Node.Length > 0 ? placement.Node : null,
                Cluster = placement,
                Logs = File.Exists(ClusterLayout.OutputFile(Results.Path, job.Id!)) ? new[] { Results.Relative(ClusterLayout.OutputFile(Results.Path, job.Id!)) } : Array.Empty<string>(),
                Duration = info.StartTime is { } s && info.EndTime is { } e && e > s ? (e - s).TotalSeconds : 0,
            };
        }
        Record(job, result);
        if (result.Status != TestStatus.Pass) await SkipDependentsAsync(job, ct).ConfigureAwait(false);
    }

    private void FinishForgotten(Job job)
    {
        // Requeues may have happened unseen: the newest attempt that started is the last one.
        var number = job.Attempt;
        while (Directory.Exists(ClusterLayout.AttemptFolder(Results.Path, job.Id!, number + 1))) number++;
        var attempt = new AttemptFolder(ClusterLayout.AttemptFolder(Results.Path, job.Id!, number));
        var start = attempt.ReadStart();
        var placement = Placement(job, number, start, "UNKNOWN", attempt, null);
        var own = attempt.ReadResult();
        Record(job, own is not null
            ? attempt.Rebase(own, Results, job.Index + 1, placement)
            : NewResult(job, TestStatus.Error, $"Slurm no longer knows job {job.Id} and it left no result" + OutputTail(job.Id!), start?.Time ?? DateTimeOffset.Now) with { Cluster = placement });
    }

    private ClusterPlacement Placement(Job job, int attempt, AttemptFolder.Start? start, string jobState, AttemptFolder folder, string? slurmNode)
    {
        List<TestAttempt> earlier;
        lock (_gate)
        {
            earlier = Enumerable.Range(0, attempt).Select(k =>
            {
                var f = new AttemptFolder(ClusterLayout.AttemptFolder(Results.Path, job.Id!, k));
                var s = f.ReadStart();
                return new TestAttempt
                {
                    Attempt = k,
                    Node = s?.Node ?? job.AttemptNodes.GetValueOrDefault(k) ?? "",
                    Start = s?.Time,
                    Reason = job.AttemptReasons.GetValueOrDefault(k) ?? "Slurm requeued the job",
                    LateStatus = f.ReadResult()?.Status,
                    Directory = Directory.Exists(f.Path) ? Results.Relative(f.Path) : "",
                };
            }).ToList();
        }
        return new ClusterPlacement
        {
            Job = job.Id ?? "",
            Attempt = attempt,
            Node = start?.Node ?? job.AttemptNodes.GetValueOrDefault(attempt) ?? (slurmNode is { Length: > 0 } ? slurmNode : job.Node) ?? "",
            Directory = Directory.Exists(folder.Path) ? Results.Relative(folder.Path) : "",
            Submitted = job.Submitted,
            JobStart = start?.ProcessStart ?? start?.Time,
            JobCodeStart = start?.Time,
            Merged = DateTimeOffset.Now,
            JobState = jobState,
            EarlierAttempts = earlier,
        };
    }

    private static string ExitText(SlurmJobInfo info) =>
        info.Signal is { } s ? string.Create(CultureInfo.InvariantCulture, $" (signal {s})")
        : info.ExitCode is { } c && c != 0 ? string.Create(CultureInfo.InvariantCulture, $" (exit code {c})") : "";

    /// <summary>The last lines the job printed (pwsh missing, module not found, ...), for the reason.</summary>
    private string OutputTail(string jobId)
    {
        var file = ClusterLayout.OutputFile(Results.Path, jobId);
        try
        {
            if (!File.Exists(file)) return "";
            var lines = File.ReadLines(file).Select(l => l.Trim()).Where(l => l.Length > 0).TakeLast(3).ToList();
            return lines.Count == 0 ? "" : $"; {Results.Relative(file)} ends: " + string.Join(" | ", lines);
        }
        catch (IOException) { return ""; }
    }

    /// <summary>Tests that depend on one that did not pass are skipped (and their jobs cancelled), as a local run skips them.</summary>
    private async Task SkipDependentsAsync(Job failed, CancellationToken ct)
    {
        var reason = $"dependency {failed.Params.ShortName} did not pass ({failed.Status.ToString().ToUpperInvariant()})";
        foreach (var dependent in _jobs.Where(j => !j.Finished && j.DependsOn.Contains(failed.Index)).ToList())
            await FinishAsSkippedAsync(dependent, reason, ct).ConfigureAwait(false);
    }

    private async Task FinishAsSkippedAsync(Job job, string reason, CancellationToken ct)
    {
        if (job.Id is { } id)
        {
            try { await _client.CancelAsync(new[] { id }, ct).ConfigureAwait(false); } catch (SlurmException) { /* Slurm cancels it itself (kill-on-invalid-dep) */ }
        }
        RecordSkip(job, reason);
        await SkipDependentsAsync(job, ct).ConfigureAwait(false);
    }

    /// <summary>Interrupt (or a failure of the run itself): cancels every job still open and records the ones that had started as CANCEL.</summary>
    private async Task CancelRemainingAsync(bool interrupted)
    {
        List<Job> open;
        lock (_gate) open = _jobs.Where(j => !j.Finished && j.Id is not null).ToList();
        try
        {
            await _client.CancelAsync(open.Select(j => j.Id!).ToList(), CancellationToken.None).ConfigureAwait(false);
        }
        catch (SlurmException) { /* best effort: the jobs' results are read below in any case */ }
        var deadline = DateTime.UtcNow + _options.CancelTimeout;
        var final = new Dictionary<string, SlurmJobInfo>(StringComparer.Ordinal);
        while (DateTime.UtcNow < deadline && final.Count < open.Count)
        {
            try
            {
                var known = (await _client.GetJobsAsync(CancellationToken.None).ConfigureAwait(false)).ToDictionary(j => j.JobId, StringComparer.Ordinal);
                foreach (var job in open)
                {
                    if (final.ContainsKey(job.Id!)) continue;
                    var info = known.GetValueOrDefault(job.Id!) ?? await _client.ShowJobAsync(job.Id!, CancellationToken.None).ConfigureAwait(false);
                    if (info is null || info.IsFinal) final[job.Id!] = info ?? new SlurmJobInfo { JobId = job.Id!, State = "CANCELLED" };
                }
            }
            catch (SlurmException) { }
            if (final.Count < open.Count) await Task.Delay(_options.PollInterval).ConfigureAwait(false);
        }
        foreach (var job in open)
        {
            if (job.Finished) continue;
            var info = final.GetValueOrDefault(job.Id!) ?? new SlurmJobInfo { JobId = job.Id!, State = "CANCELLED", Restarts = job.Attempt };
            var started = job.RunningSince is not null || new AttemptFolder(ClusterLayout.AttemptFolder(Results.Path, job.Id!, info.Restarts)).ReadStart() is not null;
            // A job that never started has no result: the run's summary counts it as not run.
            if (!started && info.State is "CANCELLED" or "PENDING") continue;
            await FinishAsync(job, info, cancelledByUs: interrupted || info.State == "CANCELLED", CancellationToken.None).ConfigureAwait(false);
        }
    }

    private TestResult NewResult(Job job, TestStatus status, string reason, DateTimeOffset start) => new()
    {
        Index = job.Index + 1,
        Name = job.Params.Name,
        ShortName = job.Params.ShortName,
        Status = status,
        Reason = reason,
        Start = start,
        Params = Snapshot(job.Params),
    };

    private void RecordSkip(Job job, string reason) => Record(job, NewResult(job, TestStatus.Skip, reason, DateTimeOffset.Now));

    private void Record(Job job, TestResult result)
    {
        lock (_gate)
        {
            if (job.Finished) return;
            job.Finished = true;
            job.Status = result.Status;
        }
        result = result with { ResultsPath = Results.Path };
        Results.Add(result);
        Interlocked.Increment(ref _done);
        _finished.Writer.TryWrite(result);
    }

    private static IReadOnlyDictionary<string, string> Snapshot(VirtParams p)
    {
        var copy = new SortedDictionary<string, string>(StringComparer.Ordinal);
        // The params go to results.json and the report: never a password.
        foreach (var (key, value) in p) copy[key] = key.Contains("password", StringComparison.OrdinalIgnoreCase) ? "********" : value;
        return copy;
    }

    private sealed class Job
    {
        public Job(int index, VirtParams p)
        {
            Index = index;
            Params = p;
        }

        public int Index { get; }
        public VirtParams Params { get; }
        public List<int> DependsOn { get; } = new();
        public string? Id { get; set; }
        public DateTimeOffset Submitted { get; set; }
        /// <summary>The restart count seen last.</summary>
        public int Attempt { get; set; }
        public Dictionary<int, string> AttemptNodes { get; } = new();
        public Dictionary<int, string> AttemptReasons { get; } = new();
        public string? Node { get; set; }
        public DateTimeOffset? RunningSince { get; set; }
        public bool Finished { get; set; }
        public TestStatus Status { get; set; }
    }
}
