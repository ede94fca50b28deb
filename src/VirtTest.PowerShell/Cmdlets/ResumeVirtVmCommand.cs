using System.Management.Automation;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Resume-VirtVm</c>: continues paused VMs.</summary>
[Cmdlet(VerbsLifecycle.Resume, "VirtVm", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(VirtualMachine))]
public sealed class ResumeVirtVmCommand : VmCmdlet
{
    /// <summary>Write the VM to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        if (ShouldProcess(vm.Name, "Resume VM") && TryAwait(vm, ct => vm.ResumeAsync(ct)) && PassThru.IsPresent) WriteObject(vm);
    }
}
