using System.Globalization;
using System.Management.Automation;
using VirtTest.Core.Config;
using VirtTest.Core.Runner;
using VirtTest.Core.Runner.Cluster;
using VirtTest.PowerShell.Internal;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Invoke-VirtTestRun</c>: expands a Cartesian config and runs every test dictionary with
/// N workers (env pre/post-processing, timeouts, dependencies), or as one Slurm job per test
/// with <c>-Cluster Slurm</c>, writing a results folder (results.json, junit.xml, report.html)
/// and one result object per finished test.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "VirtTestRun", SupportsShouldProcess = true, DefaultParameterSetName = "Path")]
[OutputType(typeof(TestResult), typeof(RunSummary), typeof(VirtTestRunJob))]
public sealed class InvokeVirtTestRunCommand : VirtCmdlet
{
    private readonly List<string> _files = new();

    /// <summary>Config files (the matrix); several form one configuration.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Filter lines ("only a..b", "no c"; a bare filter means "only").</summary>
    [Parameter]
    [ArgumentCompleter(typeof(VariantNameCompleter))]
    [ValidateNotNull]
    public string[] Filter { get; set; } = Array.Empty<string>();

    /// <summary>Folders with the test scripts (&lt;type&gt;.ps1 or &lt;type&gt;.Tests.ps1). Default: 'tests' beside the first config file, else its folder.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? TestPath { get; set; }

    /// <summary>Parallel workers; 0 (default) takes what the host's CPUs and memory can hold.</summary>
    [Parameter]
    [ValidateRange(0, 256)]
    public int Jobs { get; set; }

    /// <summary>The results folder. Default: results/&lt;date-time&gt; under the current location.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    /// <summary>Timeout of a test whose params have no test_timeout, in seconds (default 1800).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int TimeoutSec { get; set; } = 1800;

    /// <summary>Parse the config files without the parse cache.</summary>
    [Parameter]
    public SwitchParameter NoCache { get; set; }

    /// <summary>Also write the run's summary at the end.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Run in the background and return a job (Receive-Job for results, Stop-VirtTestRun to interrupt).</summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    /// <summary>Who runs the tests: this host's workers (Local, the default) or a Slurm cluster, one job per test.</summary>
    [Parameter]
    [ValidateSet("Local", "Slurm")]
    public string Cluster { get; set; } = "Local";

    /// <summary>The Slurm partition (default: the cluster's default partition).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Partition { get; set; }

    /// <summary>Node features every job asks for besides its backends' (Slurm --constraint syntax, ANDed).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Constraint { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var path in Path) _files.AddRange(ProviderPaths.ResolveFiles(this, path));
    }

    protected override void EndProcessingCore()
    {
        if (_files.Count == 0) return;
        List<VirtParams> tests;
        IReadOnlyList<string> filters;
        try
        {
            var loaded = ConfigLoader.Load(new ConfigLoadOptions { Files = _files, Filters = Filter, UseCache = !NoCache.IsPresent });
            filters = loaded.Filters;
            tests = loaded.Expand(CancellationToken).ToList();
        }
        catch (ConfigError error)
        {
            ThrowConfigError(error);
            return;
        }
        var here = SessionState.Path.CurrentFileSystemLocation.ProviderPath;
        var testFolders = TestPath is { Length: > 0 }
            ? TestPath.Select(p => GetUnresolvedProviderPathFromPSPath(p)).ToList()
            : new List<string> { RunLocations.DefaultTestFolder(_files[0]) };
        foreach (var folder in testFolders.Where(f => !Directory.Exists(f)))
        {
            ThrowTerminatingError(new ErrorRecord(new DirectoryNotFoundException($"Test folder '{folder}' does not exist (-TestPath)."),
                "VirtTest.TestPathNotFound", ErrorCategory.ObjectNotFound, folder));
        }
        var output = OutputPath is not null ? GetUnresolvedProviderPathFromPSPath(OutputPath) : RunLocations.NewResultsFolder(here, DateTime.Now);
        if (!ShouldProcess($"{tests.Count} test(s) from {string.Join(", ", _files)}", "Run (starting and killing VMs), results in " + output)) return;

        var modulePath = PowerShellTestExecutor.OwnModulePath();
        RunHandle handle;
        if (string.Equals(Cluster, "Slurm", StringComparison.OrdinalIgnoreCase))
        {
            var fullOutput = System.IO.Path.GetFullPath(output);
            var run = new SlurmRun(new SlurmRunOptions
            {
                Tests = tests,
                OutputPath = fullOutput,
                JobCommand = ClusterJobLauncher.Command(ClusterLayout.JobsFolder(fullOutput), modulePath),
                JobFiles = new Dictionary<string, string> { [ClusterJobLauncher.ScriptName] = ClusterJobLauncher.ScriptText },
                Partition = Partition,
                Constraint = Constraint,
                DefaultTimeout = TimeSpan.FromSeconds(TimeoutSec),
                ConfigFiles = _files,
                Filters = filters,
                TestPath = testFolders,
            });
            if (MyInvocation.BoundParameters.ContainsKey(nameof(Jobs)))
                WriteWarning("-Jobs is for local runs: with -Cluster Slurm, Slurm runs as many tests at once as its nodes hold.");
            WriteVerbose($"{tests.Count} test(s) as Slurm jobs, results in {output}");
            handle = RunHandle.Cluster(run);
        }
        else
        {
            if (Partition is not null || Constraint is not null)
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException("-Partition and -Constraint choose where Slurm runs the tests: use them with -Cluster Slurm."),
                    "VirtTest.ClusterParameterWithoutCluster", ErrorCategory.InvalidArgument, null));
            }
            var run = new TestRun(new TestRunOptions
            {
                Tests = tests,
                OutputPath = output,
                Jobs = Jobs,
                DefaultTimeout = TimeSpan.FromSeconds(TimeoutSec),
                ExecutorFactory = _ => new PowerShellTestExecutor(testFolders, modulePath),
                ConfigFiles = _files,
                Filters = filters,
                TestPath = string.Join(System.IO.Path.PathSeparator, testFolders),
            });
            WriteVerbose($"{tests.Count} test(s), {run.Jobs} worker(s), results in {output}");
            handle = RunHandle.Local(run);
        }

        if (AsJob)
        {
            var job = new VirtTestRunJob(MyInvocation.Line, "VirtTestRun" + handle.ResultsPath.GetHashCode(StringComparison.Ordinal).ToString("x8", CultureInfo.InvariantCulture), output);
            JobRepository.Add(job);
            job.Start(handle, PassThru);
            WriteObject(job);
            return;
        }
        RunInForeground(handle);
    }

    private void RunInForeground(RunHandle run)
    {
        // The run goes on without the pipeline's token: a Ctrl+C cancels it through ours, and we
        // still wait for its clean-up (VMs killed or jobs cancelled, results written) before
        // giving the prompt back.
        using var cts = new CancellationTokenSource();
        using var link = CancellationToken.Register(cts.Cancel);
        var work = Task.Run(() => run.RunAsync(cts.Token));
        var overall = new ProgressRecord(1, "VirtTest run", "starting") { PercentComplete = 0 };
        var lanes = new Dictionary<string, ProgressRecord>(StringComparer.Ordinal);
        try
        {
            while (!work.IsCompleted)
            {
                while (run.Finished.TryRead(out var result)) WriteObject(result);
                overall.StatusDescription = run.Status();
                overall.PercentComplete = run.Planned == 0 ? 100 : Math.Min(100, 100 * run.Done() / run.Planned);
                WriteProgress(overall);
                var busy = new HashSet<string>(StringComparer.Ordinal);
                foreach (var (key, activity, status) in run.Lanes())
                {
                    if (!lanes.TryGetValue(key, out var record))
                        lanes[key] = record = new ProgressRecord(2 + lanes.Count, activity, status) { ParentActivityId = 1 };
                    record.StatusDescription = status.Length > 0 ? status : "idle";
                    busy.Add(key);
                    WriteProgress(record);
                }
                // A node that has nothing to do any more drops out of the lanes: say so.
                foreach (var (key, record) in lanes.Where(l => !busy.Contains(l.Key)))
                {
                    record.StatusDescription = "idle";
                    WriteProgress(record);
                }
                // A failed run is reported below, with its own error.
                try { work.Wait(250); } catch (AggregateException) { }
            }
        }
        finally
        {
            // Also when the pipeline is being stopped (WriteObject/WriteProgress throw then):
            // the run must end, with its VMs killed (or its jobs cancelled) and its results
            // written, before we return.
            if (!work.IsCompleted)
            {
                cts.Cancel();
                try { work.Wait(); } catch (AggregateException) { /* reported below when not stopping */ }
            }
        }
        foreach (var record in lanes.Values)
        {
            record.RecordType = ProgressRecordType.Completed;
            WriteProgress(record);
        }
        overall.RecordType = ProgressRecordType.Completed;
        WriteProgress(overall);
        while (run.Finished.TryRead(out var rest)) WriteObject(rest);
        RunSummary summary;
        try
        {
            summary = work.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is VirtTest.Core.VirtTestException or IOException or UnauthorizedAccessException)
        {
            ThrowTerminatingError(ErrorRecords.FromException(ex, run.ResultsPath));
            return;
        }
        if (CancellationToken.IsCancellationRequested) throw new PipelineStoppedException();
        WriteVerbose(summary.ToString());
        if (PassThru) WriteObject(summary);
    }
}
