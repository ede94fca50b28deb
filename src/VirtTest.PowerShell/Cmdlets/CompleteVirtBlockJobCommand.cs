using System.Management.Automation;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Complete-VirtBlockJob</c>: completes a ready mirror or active commit (the disk switches over) and waits for its end.</summary>
[Cmdlet(VerbsLifecycle.Complete, "VirtBlockJob", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class CompleteVirtBlockJobCommand : VmCmdlet
{
    /// <summary>The job's id (bound from the Id of piped jobs).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = "";

    /// <summary>How long to wait for the job's end.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public double TimeoutSec { get; set; } = 120;

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        if (ShouldProcess(vm.Name, $"Complete block job {Id}")) TryAwait(vm, ct => vm.CompleteBlockJobAsync(Id, Seconds(TimeoutSec), ct));
    }
}
