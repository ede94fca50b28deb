using System.Management.Automation;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>New-VirtDiskSnapshot</c>: a live external snapshot: the running VM's disk continues on a new overlay file.</summary>
[Cmdlet(VerbsCommon.New, "VirtDiskSnapshot", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(BlockDevice))]
public sealed class NewVirtDiskSnapshotCommand : VmCmdlet
{
    /// <summary>The disk's id.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = "";

    /// <summary>The new overlay file.</summary>
    [Parameter(Mandatory = true, Position = 2)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The overlay's format.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Format { get; set; } = "qcow2";

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        var overlay = GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(vm.Name, $"Snapshot disk {Id} onto the new overlay {overlay}")) return;
        BlockDevice? disk = null;
        if (TryAwait(vm, async ct => disk = await vm.SnapshotDiskAsync(new DiskSnapshotSpec(Id, overlay) { Format = Format }, ct).ConfigureAwait(false))) WriteObject(disk);
    }
}
