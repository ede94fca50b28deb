using System.Globalization;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>
/// The node side of a cluster run: runs the one test of a job spec exactly as a local worker
/// would (a <see cref="TestRun"/> of that test: env pre- and post-processing, timeout, VM
/// clean-up, console logs, screenshots) into the attempt's own folder,
/// <c>jobs/&lt;SLURM_JOB_ID&gt;/attempt&lt;SLURM_RESTART_COUNT&gt;</c>. A test with
/// <c>migration_dest_host = auto</c> gets a <see cref="MigrationDestination"/> on the other
/// node of its allocation, in <c>$Env.Data['migration_destination']</c>.
/// </summary>
public static class ClusterTestJob
{
    /// <summary>The key of the cross-node migration destination in the test's <see cref="TestEnv.Data"/>.</summary>
    public const string MigrationDestinationKey = "migration_destination";

    /// <summary>This job's id, attempt and node, from Slurm's environment (outside Slurm: local-&lt;pid&gt;, 0, this host).</summary>
    public static (string JobId, int Attempt, string Node) Identity()
    {
        var job = Environment.GetEnvironmentVariable("SLURM_JOB_ID") is { Length: > 0 } j ? j : "local-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var attempt = int.TryParse(Environment.GetEnvironmentVariable("SLURM_RESTART_COUNT"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var a) ? a : 0;
        var node = Environment.GetEnvironmentVariable("SLURMD_NODENAME") is { Length: > 0 } n ? n : Environment.MachineName;
        return (job, attempt, node);
    }

    public static async Task<TestResult> RunAsync(ClusterJobSpec spec, string specPath, Func<int, ITestExecutor> executorFactory, CancellationToken ct)
    {
        var (jobId, attempt, node) = Identity();
        var folder = new AttemptFolder(ClusterLayout.AttemptFolder(spec.ResultsPath, jobId, attempt));
        if (File.Exists(Path.Combine(folder.Path, ResultsFolder.ResultsFileName)))
            throw new RunnerException($"Attempt {attempt} of job {jobId} already has results in {folder.Path}: an attempt never overwrites another.");
        DateTimeOffset? processStart = null;
        try { processStart = new DateTimeOffset(System.Diagnostics.Process.GetCurrentProcess().StartTime); }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception) { }
        folder.WriteStart(new AttemptFolder.Start { Job = jobId, Attempt = attempt, Node = node, Time = DateTimeOffset.Now, ProcessStart = processStart, ProcessId = Environment.ProcessId });

        var test = spec.ToParams();
        Task<MigrationPeer>? peer = null;
        if (SlurmJobResources.NeedsTwoNodes(test))
        {
            // Started now, beside the test's own VM start; the test body waits for it.
            peer = MigrationPeer.StartAsync(new SlurmClient(), spec, specPath, node, folder.Path, ct);
        }
        try
        {
            var run = new TestRun(new TestRunOptions
            {
                Tests = new[] { test },
                OutputPath = folder.Path,
                Jobs = 1,
                Capacity = AllocatedCapacity(),
                DefaultTimeout = TimeSpan.FromSeconds(spec.DefaultTimeoutSec),
                ExecutorFactory = worker => peer is null ? executorFactory(worker) : new MigrationPeerExecutor(executorFactory(worker), peer),
                ConfigFiles = spec.Config,
                Filters = spec.Filters,
                TestPath = string.Join(Path.PathSeparator, spec.TestPath),
            });
            await run.RunAsync(ct).ConfigureAwait(false);
            return run.Results.Tests.Single();
        }
        finally
        {
            if (peer is not null)
            {
                try { await (await peer.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false); }
                catch (Exception) { /* it failed to start: the test already reported why */ }
            }
        }
    }

    /// <summary>What Slurm gave the job (memory per node, CPUs per task); the test fits by construction.</summary>
    private static HostCapacity AllocatedCapacity()
    {
        var measured = HostCapacity.Measure();
        var memory = int.TryParse(Environment.GetEnvironmentVariable("SLURM_MEM_PER_NODE"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) && m > 0 ? m : measured.MemoryMB;
        var cpus = int.TryParse(Environment.GetEnvironmentVariable("SLURM_CPUS_PER_TASK"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) && c > 0 ? c : measured.Cpus;
        return new HostCapacity(memory, cpus);
    }
}
