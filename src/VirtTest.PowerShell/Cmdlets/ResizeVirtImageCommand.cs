using System.Management.Automation;
using VirtTest.Core.Storage;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Resize-VirtImage</c>: qemu-img resize to an absolute or relative size.</summary>
[Cmdlet("Resize", "VirtImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ImageInfo))]
public sealed class ResizeVirtImageCommand : ImageCmdlet
{
    /// <summary>New size: absolute (20GB, "20G") or relative ("+1G", "-512M").</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Size { get; set; } = "";

    /// <summary>The image's format (probed when omitted).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Format { get; set; }

    /// <summary>Allow making the image smaller (the data past the new end is lost).</summary>
    [Parameter]
    public SwitchParameter Shrink { get; set; }

    /// <summary>Preallocation of the added space.</summary>
    [Parameter]
    public ImagePreallocation Preallocation { get; set; }

    /// <inheritdoc />
    protected override void ProcessImage(string file)
    {
        if (!ShouldProcess(file, $"Resize to {Size}" + (Shrink.IsPresent ? " (shrinking allowed)" : ""))) return;
        ImagePreallocation? preallocation = MyInvocation.BoundParameters.ContainsKey(nameof(Preallocation)) ? Preallocation : null;
        ImageInfo? info = null;
        if (TryAwait(file, async ct => info = await Tool.ResizeAsync(file, Size, Format, Shrink.IsPresent, preallocation, ct).ConfigureAwait(false))) WriteObject(info);
    }
}
