using System.Management.Automation;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Remove-VirtDisk</c>: unplugs a disk and waits until the guest has released it.</summary>
[Cmdlet(VerbsCommon.Remove, "VirtDisk", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class RemoveVirtDiskCommand : VmCmdlet
{
    /// <summary>The disk's id (bound from the Id of piped disks).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = "";

    /// <summary>How long to wait for the disk to be gone.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public double TimeoutSec { get; set; } = 60;

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        if (ShouldProcess(vm.Name, $"Remove disk {Id}")) TryAwait(vm, ct => vm.RemoveDiskAsync(Id, Seconds(TimeoutSec), ct));
    }
}
