using System.Management.Automation;
using System.Runtime.InteropServices;
using VirtTest.Core.Runner;
using VirtTest.Core.Runner.Cluster;
using VirtTest.PowerShell.Internal;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Invoke-VirtTestJob</c>: the node side of a cluster run. Runs the one test of a job spec
/// file (written by <c>Invoke-VirtTestRun -Cluster Slurm</c>) as a local worker would, into
/// the attempt's folder, and writes its result; with <c>-MigrationDestination</c> it is the
/// helper a cross-node migration test starts on the second node of its job.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "VirtTestJob", SupportsShouldProcess = true)]
[OutputType(typeof(TestResult))]
public sealed class InvokeVirtTestJobCommand : VirtCmdlet
{
    /// <summary>The job spec file (jobs/specs/NNNN.json of a cluster run's results folder).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Run the destination side of the job's cross-node migration (started through srun by the job itself).</summary>
    [Parameter]
    public SwitchParameter MigrationDestination { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var path in Path)
        {
            foreach (var file in ProviderPaths.ResolveFiles(this, path))
            {
                ClusterJobSpec spec;
                try
                {
                    spec = ClusterJobSpec.Load(file);
                }
                catch (RunnerException ex)
                {
                    WriteError(ErrorRecords.FromException(ex, file));
                    continue;
                }
                var what = MigrationDestination ? "Serve as the migration destination of" : "Run (starting and killing VMs)";
                if (!ShouldProcess($"test {spec.Index} ({spec.Params.GetValueOrDefault("shortname", "?")}) of {file}", what)) continue;
                RunOne(spec, file);
            }
        }
    }

    private void RunOne(ClusterJobSpec spec, string file)
    {
        // scancel (and Slurm's end of a job) sends SIGTERM: end like Ctrl+C, VMs killed and the result written.
        using var terminated = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            terminated.Cancel();
        });
        try
        {
            if (MigrationDestination)
            {
                Await(ct => Linked(ct, terminated.Token, t => MigrationDestinationService.RunAsync(spec, Console.In, Console.Out, t)));
                return;
            }
            var modulePath = PowerShellTestExecutor.OwnModulePath();
            var result = Await(ct => Linked(ct, terminated.Token,
                t => ClusterTestJob.RunAsync(spec, file, _ => new PowerShellTestExecutor(spec.TestPath, modulePath), t)));
            WriteObject(result);
        }
        catch (Exception ex) when (ex is VirtTest.Core.VirtTestException or IOException or UnauthorizedAccessException)
        {
            WriteError(ErrorRecords.FromException(ex, file));
        }
    }

    private static async Task Linked(CancellationToken a, CancellationToken b, Func<CancellationToken, Task> work)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(a, b);
        await work(both.Token).ConfigureAwait(false);
    }

    private static async Task<T> Linked<T>(CancellationToken a, CancellationToken b, Func<CancellationToken, Task<T>> work)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(a, b);
        return await work(both.Token).ConfigureAwait(false);
    }
}
