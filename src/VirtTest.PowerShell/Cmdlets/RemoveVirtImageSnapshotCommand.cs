using System.Management.Automation;
using VirtTest.Core.Storage;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Remove-VirtImageSnapshot</c>: deletes internal snapshots (qemu-img snapshot -d).</summary>
[Cmdlet(VerbsCommon.Remove, "VirtImageSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class RemoveVirtImageSnapshotCommand : ImageCmdlet
{
    /// <summary>The snapshot's name (or id).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>The image's format (probed when omitted).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Format { get; set; }

    /// <inheritdoc />
    protected override void ProcessImage(string file)
    {
        if (!ShouldProcess(file, $"Delete snapshot '{Name}'")) return;
        TryAwait(file, ct => Tool.RemoveSnapshotAsync(file, Name, Format, ct));
    }
}
