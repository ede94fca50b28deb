using System.Management.Automation;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Stop-VirtBlockJob</c>: cancels block jobs and waits for their end (the disk stays on its image).</summary>
[Cmdlet(VerbsLifecycle.Stop, "VirtBlockJob", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class StopVirtBlockJobCommand : VmCmdlet
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
        if (ShouldProcess(vm.Name, $"Cancel block job {Id}")) TryAwait(vm, ct => vm.CancelBlockJobAsync(Id, Seconds(TimeoutSec), ct));
    }
}
