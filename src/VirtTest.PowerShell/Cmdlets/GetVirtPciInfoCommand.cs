using System.Management.Automation;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Get-VirtPciInfo</c>: the PCI devices of running VMs, as objects.</summary>
[Cmdlet(VerbsCommon.Get, "VirtPciInfo", DefaultParameterSetName = VmSet)]
[OutputType(typeof(PciDevice))]
public sealed class GetVirtPciInfoCommand : VmCmdlet
{
    /// <summary>Only devices with this id (the id given when they were added; wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    public string? Id { get; set; }

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        IReadOnlyList<PciDevice> devices = Array.Empty<PciDevice>();
        if (!TryAwait(vm, async ct => devices = await vm.GetPciDevicesAsync(ct).ConfigureAwait(false))) return;
        var filter = Id is null ? null : new WildcardPattern(Id, WildcardOptions.IgnoreCase);
        foreach (var device in devices)
        {
            if (filter is null || filter.IsMatch(device.QdevId)) WriteObject(device);
        }
    }
}
