using System.Management.Automation;
using VirtTest.Core.Storage;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>New-VirtImageSnapshot</c>: takes an internal snapshot of images (qemu-img snapshot -c).</summary>
[Cmdlet(VerbsCommon.New, "VirtImageSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ImageSnapshot))]
public sealed class NewVirtImageSnapshotCommand : ImageCmdlet
{
    /// <summary>The snapshot's name (unique in the image).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>The image's format (probed when omitted).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Format { get; set; }

    /// <inheritdoc />
    protected override void ProcessImage(string file)
    {
        if (!ShouldProcess(file, $"Take snapshot '{Name}'")) return;
        ImageSnapshot? snapshot = null;
        if (TryAwait(file, async ct => snapshot = await Tool.NewSnapshotAsync(file, Name, Format, ct).ConfigureAwait(false))) WriteObject(snapshot);
    }
}
