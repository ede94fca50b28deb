using System.Management.Automation;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Remove-VirtPciDevice</c>: unplugs a device and waits until the guest has released it.</summary>
[Cmdlet(VerbsCommon.Remove, "VirtPciDevice", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class RemoveVirtPciDeviceCommand : VmCmdlet
{
    /// <summary>The id of the device (as returned by Add-VirtPciDevice; bound from QdevId of piped devices).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("QdevId")]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = "";

    /// <summary>How long to wait for the device to be gone.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public double TimeoutSec { get; set; } = 60;

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        if (ShouldProcess(vm.Name, $"Remove PCI device {Id}"))
        {
            TryAwait(vm, ct => vm.RemovePciDeviceAsync(Id, Seconds(TimeoutSec), ct));
        }
    }
}
