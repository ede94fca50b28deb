using System.Management.Automation;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Wait-VirtVmState</c>: waits until VMs reach a state, e.g. Stopped once the guest powered
/// itself off (its runtime directory is gone by then).
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "VirtVmState", DefaultParameterSetName = VmSet)]
[OutputType(typeof(VirtualMachine))]
public sealed class WaitVirtVmStateCommand : VmCmdlet
{
    /// <summary>The states to wait for (any of them).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public VmState[] State { get; set; } = Array.Empty<VmState>();

    /// <summary>How long to wait, in seconds.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public double TimeoutSec { get; set; } = 60;

    /// <summary>Write the VM once it reached the state.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        WriteVerbose($"Waiting up to {TimeoutSec} s for VM {vm.Name} to be {string.Join(" or ", State)}");
        if (TryAwait(vm, ct => vm.WaitForStateAsync(State, Seconds(TimeoutSec), ct)) && PassThru.IsPresent) WriteObject(vm);
    }
}
