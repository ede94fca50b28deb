using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using VirtTest.Core.Config;
using VirtTest.Core.Monitor;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Runner;

/// <summary>
/// Runs an expanded matrix with N workers: each worker has its own env (VMs carried from one
/// of its tests to the next) and executor; tests are placed by <see cref="TestQueue"/>; every
/// finished test is written to the results folder at once. Cancelling the token stops all
/// workers, kills every VM and leaves a valid results folder marked interrupted.
/// </summary>
public sealed class TestRun
{
    private readonly TestRunOptions _options;
    private readonly object _gate = new();
    private readonly TestQueue _queue;
    private readonly Channel<TestResult> _finished = Channel.CreateUnbounded<TestResult>();
    private readonly WorkerStatus[] _workers;
    private TaskCompletionSource _changed = NewSignal();
    private int _done;

    public TestRun(TestRunOptions options)
    {
        _options = options;
        Capacity = options.Capacity ?? HostCapacity.Measure();
        Jobs = options.Jobs > 0 ? options.Jobs : Capacity.DefaultJobs;
        _queue = new TestQueue(options.Tests, Capacity);
        _workers = Enumerable.Range(1, Jobs).Select(w => new WorkerStatus(w, null, null)).ToArray();
        Results = new ResultsFolder(options.OutputPath);
    }

    public HostCapacity Capacity { get; }
    public int Jobs { get; }
    public ResultsFolder Results { get; }
    public int Planned => _options.Tests.Count;
    public int Done => Volatile.Read(ref _done);

    /// <summary>Every result as its test ends (completes when the run ends).</summary>
    public ChannelReader<TestResult> Finished => _finished.Reader;

    /// <summary>What each worker is doing now.</summary>
    public IReadOnlyList<WorkerStatus> Workers
    {
        get { lock (_gate) return _workers.ToArray(); }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<RunSummary> RunAsync(CancellationToken ct)
    {
        var start = DateTimeOffset.Now;
        Results.Begin(new RunInfo
        {
            Id = start.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            Config = _options.ConfigFiles,
            Filters = _options.Filters,
            TestPath = _options.TestPath,
            Jobs = Jobs,
            Start = start,
            State = RunState.Running,
            Planned = Planned,
        });
        Directory.CreateDirectory(ConsoleDirectory);
        var state = RunState.Interrupted;
        try
        {
            await Task.WhenAll(Enumerable.Range(1, Jobs).Select(w => Task.Run(() => WorkerAsync(w, ct), CancellationToken.None))).ConfigureAwait(false);
            state = ct.IsCancellationRequested ? RunState.Interrupted : RunState.Completed;
        }
        finally
        {
            Results.Finish(state);
            ReportWriter.WriteAll(Results);
            _finished.Writer.TryComplete();
            TryDeleteEmpty(Path.Combine(Results.Path, "images"));
        }
        return Results.Summary();
    }

    private string ConsoleDirectory => Path.Combine(Results.Path, "console");

    private async Task WorkerAsync(int worker, CancellationToken ct)
    {
        var env = new TestEnv(worker, Path.Combine(Results.Path, "images", "worker" + worker.ToString(CultureInfo.InvariantCulture)), ConsoleDirectory);
        ITestExecutor? executor = null;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                TestQueue.Decision decision;
                Task changed;
                lock (_gate)
                {
                    decision = _queue.Next(worker);
                    changed = _changed.Task;
                }
                switch (decision)
                {
                    case TestQueue.Done:
                        return;
                    case TestQueue.Wait:
                        await Task.WhenAny(changed, Task.Delay(Timeout.Infinite, ct)).ConfigureAwait(false);
                        continue;
                    case TestQueue.Skip skip:
                        Record(new TestResult
                        {
                            Index = skip.Index + 1, Name = skip.Params.Name, ShortName = skip.Params.ShortName, Status = TestStatus.Skip,
                            Reason = skip.Reason, Start = DateTimeOffset.Now, Params = Snapshot(skip.Params),
                        });
                        Signal();
                        continue;
                    case TestQueue.Run run:
                        executor ??= _options.ExecutorFactory(worker);
                        SetWorker(worker, run.Params.ShortName);
                        var (result, abandoned) = await RunTestAsync(run.Index, run.Params, env, executor, worker, ct).ConfigureAwait(false);
                        if (abandoned)
                        {
                            // The body ignored cancellation: leave it behind and start afresh.
                            var old = executor;
                            executor = null;
                            _ = Task.Run(async () => { try { await old.DisposeAsync().ConfigureAwait(false); } catch { /* abandoned */ } });
                        }
                        lock (_gate) _queue.Complete(run.Index, result.Status, worker, env.Footprint());
                        SetWorker(worker, null);
                        Record(result);
                        Signal();
                        continue;
                }
            }
        }
        finally
        {
            await env.KillAllAsync().ConfigureAwait(false);
            lock (_gate) _queue.Release(worker);
            SetWorker(worker, null);
            if (executor is not null)
            {
                try { await executor.DisposeAsync().ConfigureAwait(false); } catch (Exception) { /* the run is over */ }
            }
            Signal();
        }
    }

    private async Task<(TestResult Result, bool Abandoned)> RunTestAsync(int index, VirtParams p, TestEnv env, ITestExecutor executor, int worker, CancellationToken runCt)
    {
        var directory = Results.TestDirectory(index + 1, p.ShortName);
        using var log = new TestLog(Path.Combine(directory, "debug.log"));
        var context = new TestContext { Params = p, Env = env, Directory = directory, Log = log };
        var processor = new EnvProcessor();
        var start = DateTimeOffset.Now;
        var clock = Stopwatch.StartNew();
        var timeout = double.TryParse(p.Get("test_timeout"), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds) : _options.DefaultTimeout;
        using var testCts = CancellationTokenSource.CreateLinkedTokenSource(runCt);
        testCts.CancelAfter(timeout);
        log.Write($"test {p.Name} (worker {worker}, timeout {timeout.TotalSeconds:0} s)");

        TestStatus status;
        string reason;
        var abandoned = false;
        var logs = new List<string> { log.Path };
        var screenshots = new List<string>();
        var screendumps = RegularScreendumps.Start(context, screenshots);
        var crashes = KernelCrashWatch.Start(p, env, testCts);
        try
        {
            // On the thread pool: a body that blocks its thread must not block the timeout.
            var body = Task.Run(() => RunBodyAsync(processor, context, executor, testCts.Token), CancellationToken.None);
            var cancelled = Task.Delay(Timeout.Infinite, testCts.Token);
            if (await Task.WhenAny(body, cancelled).ConfigureAwait(false) == cancelled && !body.IsCompleted)
            {
                // Timeout or interrupt: kill the VMs at once (that also ends any wait on them),
                // then give the body a moment to notice.
                log.Write(runCt.IsCancellationRequested ? "interrupted: killing the VMs"
                    : crashes?.Crash is { } crashed ? $"{crashed.Message}\nkilling the VMs"
                    : $"timed out after {timeout.TotalSeconds:0} s: killing the VMs", "ERROR");
                await CloseSessionAsync(context).ConfigureAwait(false);
                await env.KillAllAsync().ConfigureAwait(false);
                abandoned = await Task.WhenAny(body, Task.Delay(_options.AbandonAfter)).ConfigureAwait(false) != body;
                if (abandoned) log.Write("the test body did not end after cancellation; abandoning its executor", "ERROR");
            }
            // A VM that died makes a failure the environment's: ask each VM, its process may
            // have just gone.
            if (body.IsFaulted) await RefreshStatesAsync(env).ConfigureAwait(false);
            (status, reason) = body.IsCompleted ? Classify(body, env) : (TestStatus.Error, "");
            // A guest kernel crash is the test's failure, whatever the body made of it (a command
            // that never answered, a dead session, the test stopped by the watch).
            if (runCt.IsCancellationRequested) (status, reason) = (TestStatus.Cancel, "interrupted by the user");
            else if (crashes?.Scan() is { } crash) (status, reason) = (TestStatus.Fail, OneLine(crash.Message.Replace("\n", " | ", StringComparison.Ordinal)));
            else if (testCts.IsCancellationRequested && status != TestStatus.Pass)
                (status, reason) = (TestStatus.Error, string.Create(CultureInfo.InvariantCulture, $"timed out after {timeout.TotalSeconds:0} s"));
        }
        finally
        {
            await screendumps.DisposeAsync().ConfigureAwait(false);
            if (crashes is not null) await crashes.DisposeAsync().ConfigureAwait(false);
        }
        // A failure says in which step it happened (the reference's error_context).
        var failedStep = status is TestStatus.Fail or TestStatus.Error ? context.Steps.Current : null;
        if (failedStep is not null) reason = OneLine(context.Steps.Locate(reason));
        log.Write($"{status.ToString().ToUpperInvariant()}" + (reason.Length > 0 ? $": {reason}" : ""), status == TestStatus.Pass ? "INFO" : "ERROR");
        try
        {
            await processor.PostprocessAsync(context, status, logs, screenshots).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            log.Write("post-processing failed: " + ex.Message + "; killing the VMs", "ERROR");
            await env.KillAllAsync().ConfigureAwait(false);
            if (status == TestStatus.Pass) (status, reason) = (TestStatus.Error, "post-processing failed: " + OneLine(ex.Message));
        }
        // Whatever the test itself left in its folder counts too (its own screenshots and logs).
        screenshots.AddRange(Directory.EnumerateFiles(directory, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        logs.AddRange(Directory.EnumerateFiles(directory, "*.log", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        var result = new TestResult
        {
            Index = index + 1,
            Name = p.Name,
            ShortName = p.ShortName,
            Status = status,
            Reason = reason,
            Start = start,
            Duration = Math.Round(clock.Elapsed.TotalSeconds, 3),
            Worker = worker,
            Directory = Results.Relative(directory),
            Logs = logs.Distinct().Select(Results.Relative).ToList(),
            Screenshots = screenshots.Distinct().Select(Results.Relative).ToList(),
            Steps = context.Steps.Snapshot(),
            FailedStep = failedStep,
            Params = Snapshot(p),
        };
        return (result, abandoned);
    }

    private static async Task RunBodyAsync(EnvProcessor processor, TestContext context, ITestExecutor executor, CancellationToken ct)
    {
        try
        {
            await processor.PreprocessAsync(context, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (TestSkippedException or OperationCanceledException))
        {
            throw new TestErrorException("set-up failed: " + ex.Message, ex);
        }
        context.Log.Write("running the test body");
        await executor.ExecuteAsync(context, ct).ConfigureAwait(false);
    }

    private static async Task RefreshStatesAsync(TestEnv env)
    {
        foreach (var vm in env.Vms)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await vm.RefreshStateAsync(cts.Token).ConfigureAwait(false);
            }
            // Best effort: the state says what is known, and no driver fault may end the run.
            catch (Exception) { }
        }
    }

    private static async Task CloseSessionAsync(TestContext context)
    {
        if (context.Session is not { } session) return;
        context.Session = null;
        try { await session.DisposeAsync().ConfigureAwait(false); } catch (Exception) { /* the VM is about to be killed */ }
    }

    /// <summary>
    /// PASS when the body returned. A thrown body: SKIP for a skip or a capability the backend
    /// lacks, ERROR for a broken environment (set-up failed, a VM of the env died), else FAIL.
    /// </summary>
    internal static (TestStatus, string) Classify(Task body, TestEnv env)
    {
        if (body.IsCompletedSuccessfully) return (TestStatus.Pass, "");
        var ex = body.Exception?.InnerException ?? body.Exception ?? (Exception)new OperationCanceledException();
        switch (ex)
        {
            case TestSkippedException:
            case NotSupportedByBackendException:
                return (TestStatus.Skip, OneLine(ex.Message));
            case TestErrorException:
                return (TestStatus.Error, OneLine(ex.Message));
            case TestCancelledException:
                return (TestStatus.Cancel, OneLine(ex.Message));
        }
        foreach (var vm in env.Vms)
        {
            if (vm.State == VmState.Dead)
                return (TestStatus.Error, OneLine($"VM '{vm.Name}' died ({vm.DeathReason ?? "unknown cause"}): {ex.Message}"));
        }
        if (ex is MonitorConnectionException or SessionClosedException)
            return (TestStatus.Error, OneLine(ex.Message));
        return (TestStatus.Fail, OneLine(ex.Message));
    }

    internal static string OneLine(string message)
    {
        var line = string.Join(" ", message.Replace("\r", "").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
        return line.Length <= 400 ? line : line[..397] + "...";
    }

    private static IReadOnlyDictionary<string, string> Snapshot(VirtParams p)
    {
        var copy = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in p)
        {
            // The test's params go to results.json and the report: never a password.
            copy[key] = key.Contains("password", StringComparison.OrdinalIgnoreCase) ? "********" : value;
        }
        return copy;
    }

    private void Record(TestResult result)
    {
        result = result with { ResultsPath = Results.Path };
        Results.Add(result);
        Interlocked.Increment(ref _done);
        _finished.Writer.TryWrite(result);
    }

    private void Signal()
    {
        TaskCompletionSource old;
        lock (_gate)
        {
            old = _changed;
            _changed = NewSignal();
        }
        old.TrySetResult();
    }

    private void SetWorker(int worker, string? test)
    {
        lock (_gate) _workers[worker - 1] = new WorkerStatus(worker, test, test is null ? null : DateTimeOffset.Now);
    }

    private static void TryDeleteEmpty(string directory)
    {
        try
        {
            if (!Directory.Exists(directory)) return;
            foreach (var sub in Directory.GetDirectories(directory)) if (!Directory.EnumerateFileSystemEntries(sub).Any()) Directory.Delete(sub);
            if (!Directory.EnumerateFileSystemEntries(directory).Any()) Directory.Delete(directory);
        }
        catch (IOException) { }
    }
}

/// <summary>What one worker of a run is doing.</summary>
public sealed record WorkerStatus(int Worker, string? Test, DateTimeOffset? Since);
