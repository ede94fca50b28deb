using System.Management.Automation;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Get-VirtBlockDevice</c>: the disks of running VMs as their hypervisor lists them.</summary>
[Cmdlet(VerbsCommon.Get, "VirtBlockDevice", DefaultParameterSetName = VmSet)]
[OutputType(typeof(BlockDevice))]
public sealed class GetVirtBlockDeviceCommand : VmCmdlet
{
    /// <summary>Only disks with a matching id (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? Id { get; set; }

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        IReadOnlyList<BlockDevice>? disks = null;
        if (!TryAwait(vm, async ct => disks = await vm.GetBlockDevicesAsync(ct).ConfigureAwait(false))) return;
        var pattern = Id is null ? null : new WildcardPattern(Id, WildcardOptions.None);
        var found = disks!.Where(d => pattern is null || pattern.IsMatch(d.Id)).ToList();
        if (found.Count == 0 && Id is not null && !WildcardPattern.ContainsWildcardCharacters(Id))
            WriteError(ErrorRecords.FromException(new BlockDeviceNotFoundException(vm.Name, "disk", Id, disks!.Select(d => d.Id).ToList()), vm));
        foreach (var d in found) WriteObject(d);
    }
}
