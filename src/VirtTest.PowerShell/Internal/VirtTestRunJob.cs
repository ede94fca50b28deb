using System.Management.Automation;
using VirtTest.Core.Runner;

namespace VirtTest.PowerShell.Internal;

/// <summary>
/// A test run started with <c>Invoke-VirtTestRun -AsJob</c>: results arrive as job output
/// (<c>Receive-Job</c>); <c>Stop-VirtTestRun</c> or <c>Stop-Job</c> interrupt it like Ctrl+C
/// (VMs killed, results kept).
/// </summary>
public sealed class VirtTestRunJob : Job
{
    private readonly CancellationTokenSource _cts = new();
    private Task? _work;

    internal VirtTestRunJob(string command, string name, string resultsPath) : base(command, name)
    {
        ResultsPath = resultsPath;
        PSJobTypeName = "VirtTestRun";
    }

    /// <summary>The run's results folder.</summary>
    public string ResultsPath { get; }

    /// <summary>The summary once the run has ended.</summary>
    public RunSummary? Summary { get; private set; }

    internal void Start(RunHandle run, bool passThru)
    {
        SetJobState(JobState.Running);
        _work = Task.Run(async () =>
        {
            var pump = Task.Run(async () =>
            {
                await foreach (var result in run.Finished.ReadAllAsync().ConfigureAwait(false)) Output.Add(PSObject.AsPSObject(result));
            });
            try
            {
                Summary = await run.RunAsync(_cts.Token).ConfigureAwait(false);
                await pump.ConfigureAwait(false);
                if (passThru) Output.Add(PSObject.AsPSObject(Summary));
                SetJobState(_cts.IsCancellationRequested ? JobState.Stopped : JobState.Completed);
            }
            catch (Exception ex)
            {
                Error.Add(ErrorRecords.FromException(ex, ResultsPath));
                SetJobState(JobState.Failed);
            }
        });
    }

    public override string StatusMessage => Summary?.ToString() ?? JobStateInfo.State.ToString();
    public override bool HasMoreData => Output.Count > 0 || Error.Count > 0;
    public override string Location => Environment.MachineName;

    /// <summary>Interrupts the run and waits until its VMs are gone and its results written.</summary>
    public override void StopJob()
    {
        if (IsFinishedState(JobStateInfo.State)) return;
        SetJobState(JobState.Stopping);
        _cts.Cancel();
        _work?.Wait();
    }

    private static bool IsFinishedState(JobState state) => state is JobState.Completed or JobState.Failed or JobState.Stopped;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (!IsFinishedState(JobStateInfo.State)) StopJob();
            _cts.Dispose();
        }
        base.Dispose(disposing);
    }
}
