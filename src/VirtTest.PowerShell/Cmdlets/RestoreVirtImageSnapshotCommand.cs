using System.Management.Automation;
using VirtTest.Core.Storage;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Restore-VirtImageSnapshot</c>: reverts images to an internal snapshot (qemu-img snapshot -a).</summary>
[Cmdlet(VerbsData.Restore, "VirtImageSnapshot", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ImageSnapshot))]
public sealed class RestoreVirtImageSnapshotCommand : ImageCmdlet
{
    /// <summary>The snapshot's name (or id).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>The image's format (probed when omitted).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Format { get; set; }

    /// <summary>Write the snapshot that was restored.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessImage(string file)
    {
        if (!ShouldProcess(file, $"Revert to snapshot '{Name}' (changes since are lost)")) return;
        if (TryAwait(file, ct => Tool.RestoreSnapshotAsync(file, Name, Format, ct)) && PassThru.IsPresent)
        {
            ImageSnapshot? snapshot = null;
            if (TryAwait(file, async ct => snapshot = (await Tool.GetSnapshotsAsync(file, Format, false, ct).ConfigureAwait(false)).FirstOrDefault(s => s.Name == Name || s.Id == Name)))
                WriteObject(snapshot);
        }
    }
}
