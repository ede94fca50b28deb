using System.Management.Automation;
using VirtTest.PowerShell.Internal;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Stop-VirtTestRun</c>: interrupts a run started with <c>Invoke-VirtTestRun -AsJob</c>, as
/// Ctrl+C would: the running tests end as CANCEL, every VM is killed, the results so far stay.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "VirtTestRun", SupportsShouldProcess = true, DefaultParameterSetName = JobSet)]
[OutputType(typeof(VirtTestRunJob))]
public sealed class StopVirtTestRunCommand : VirtCmdlet
{
    private const string JobSet = "Job";
    private const string IdSet = "Id";

    /// <summary>The run's job (from Invoke-VirtTestRun -AsJob or Get-Job).</summary>
    [Parameter(ParameterSetName = JobSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public VirtTestRunJob[] Job { get; set; } = Array.Empty<VirtTestRunJob>();

    /// <summary>The job's id (Get-Job).</summary>
    [Parameter(ParameterSetName = IdSet, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public int[] Id { get; set; } = Array.Empty<int>();

    /// <summary>Write the stopped job.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var jobs = ParameterSetName == JobSet ? Job : Id.Select(FindJob).Where(j => j is not null).Cast<VirtTestRunJob>().ToArray();
        foreach (var job in jobs)
        {
            if (!ShouldProcess($"test run {job.Name} ({job.ResultsPath})", "Stop")) continue;
            job.StopJob();
            if (PassThru) WriteObject(job);
        }
    }

    private VirtTestRunJob? FindJob(int id)
    {
        if (JobRepository.Jobs.FirstOrDefault(j => j.Id == id) is VirtTestRunJob job) return job;
        WriteError(new ErrorRecord(new ArgumentException($"No test run job with id {id} (Get-Job lists the jobs of this session)."),
            "VirtTest.TestRunJobNotFound", ErrorCategory.ObjectNotFound, id));
        return null;
    }
}
