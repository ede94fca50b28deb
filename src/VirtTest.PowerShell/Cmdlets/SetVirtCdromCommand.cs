using System.Management.Automation;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Set-VirtCdrom</c>: puts an ISO into a CD-ROM drive of running VMs, or ejects its medium.</summary>
[Cmdlet(VerbsCommon.Set, "VirtCdrom", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CdromDrive))]
public sealed class SetVirtCdromCommand : VmCmdlet
{
    /// <summary>The drive's id (its name in <c>cdroms</c>).</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = "";

    /// <summary>The ISO file to insert (or -Eject).</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Ejects the medium (the drive stays, empty).</summary>
    [Parameter]
    public SwitchParameter Eject { get; set; }

    /// <summary>Writes the drive as it is afterwards.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if ((Path is null) != Eject.IsPresent)
        {
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException("Give either -Path (the ISO to insert) or -Eject."),
                "VirtTest.InvalidArgument", ErrorCategory.InvalidArgument, null));
        }
    }

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        var file = Path is null ? null : GetUnresolvedProviderPathFromPSPath(Path);
        if (!ShouldProcess(vm.Name, file is null ? $"Eject the medium of CD-ROM drive '{Id}'" : $"Insert {file} into CD-ROM drive '{Id}'")) return;
        CdromDrive? drive = null;
        if (TryAwait(vm, async ct => drive = await vm.ChangeCdromAsync(Id, file, ct).ConfigureAwait(false)) && PassThru.IsPresent) WriteObject(drive);
    }
}
