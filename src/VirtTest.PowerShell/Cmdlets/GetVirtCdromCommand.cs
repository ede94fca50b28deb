using System.Management.Automation;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Get-VirtCdrom</c>: the CD-ROM drives of running VMs and their media.</summary>
[Cmdlet(VerbsCommon.Get, "VirtCdrom", DefaultParameterSetName = VmSet)]
[OutputType(typeof(CdromDrive))]
public sealed class GetVirtCdromCommand : VmCmdlet
{
    /// <summary>Only drives with a matching id (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? Id { get; set; }

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        IReadOnlyList<CdromDrive>? drives = null;
        if (!TryAwait(vm, async ct => drives = await vm.GetCdromsAsync(ct).ConfigureAwait(false))) return;
        var pattern = Id is null ? null : new WildcardPattern(Id, WildcardOptions.None);
        var found = drives!.Where(d => pattern is null || pattern.IsMatch(d.Id)).ToList();
        if (found.Count == 0 && Id is not null && !WildcardPattern.ContainsWildcardCharacters(Id))
            WriteError(ErrorRecords.FromException(new BlockDeviceNotFoundException(vm.Name, "CD-ROM drive", Id, drives!.Select(d => d.Id).ToList()), vm));
        foreach (var d in found) WriteObject(d);
    }
}
