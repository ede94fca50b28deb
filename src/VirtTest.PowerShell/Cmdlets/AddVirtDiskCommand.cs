using System.Management.Automation;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Add-VirtDisk</c>: hot-plugs a disk image into running VMs and returns it once the VM lists it.</summary>
[Cmdlet(VerbsCommon.Add, "VirtDisk", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(BlockDevice))]
public sealed class AddVirtDiskCommand : VmCmdlet
{
    /// <summary>The image file to plug in.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The bus the guest sees the disk on.</summary>
    [Parameter]
    public DiskBus Bus { get; set; } = DiskBus.Virtio;

    /// <summary>The disk's id (generated when omitted).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Id { get; set; }

    /// <summary>The image's format (read from the file when omitted).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Format { get; set; }

    /// <summary>Plug it in read-only.</summary>
    [Parameter]
    public SwitchParameter ReadOnly { get; set; }

    /// <summary>A serial number the guest sees.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Serial { get; set; }

    /// <summary>How long to wait for the disk to be listed.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public double TimeoutSec { get; set; } = 60;

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        var file = GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(vm.Name, $"Add {Bus} disk {file}" + (Id is null ? "" : $" (id {Id})"))) return;
        var spec = new DiskSpec(file) { Bus = Bus, Id = Id, Format = Format, ReadOnly = ReadOnly.IsPresent, Serial = Serial };
        BlockDevice? disk = null;
        if (TryAwait(vm, async ct => disk = await vm.AddDiskAsync(spec, Seconds(TimeoutSec), ct).ConfigureAwait(false))) WriteObject(disk);
    }
}
