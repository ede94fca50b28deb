using System.Management.Automation;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Suspend-VirtVm</c>: pauses the virtual CPUs of running VMs.</summary>
[Cmdlet(VerbsLifecycle.Suspend, "VirtVm", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(VirtualMachine))]
public sealed class SuspendVirtVmCommand : VmCmdlet
{
    /// <summary>Write the VM to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        if (ShouldProcess(vm.Name, "Pause VM") && TryAwait(vm, ct => vm.PauseAsync(ct)) && PassThru.IsPresent) WriteObject(vm);
    }
}
