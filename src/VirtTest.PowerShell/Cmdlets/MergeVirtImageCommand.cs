using System.Management.Automation;
using VirtTest.Core.Storage;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Merge-VirtImage</c>: writes an overlay's data into its backing file (qemu-img commit), with progress.</summary>
[Cmdlet(VerbsData.Merge, "VirtImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ImageInfo))]
public sealed class MergeVirtImageCommand : ImageCmdlet
{
    /// <summary>The image further down the chain to write into (default: the backing file).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Base { get; set; }

    /// <summary>Keep the overlay's data in the overlay too (qemu-img commit -d); by default it is emptied.</summary>
    [Parameter]
    public SwitchParameter KeepData { get; set; }

    /// <summary>The overlay's format (probed when omitted).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Format { get; set; }

    /// <summary>Write the info of the image that received the data.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessImage(string file)
    {
        var baseImage = Base is null ? null : GetUnresolvedProviderPathFromPSPath(Base);
        if (!ShouldProcess(file, "Commit the overlay's data into " + (baseImage ?? "its backing file"))) return;
        var record = new ProgressRecord(7, $"Committing {System.IO.Path.GetFileName(file)}", "starting");
        ImageInfo? info = null;
        if (TryAwaitWithProgress<ImageProgress>(file, record,
                async (progress, ct) => info = await Tool.CommitAsync(file, baseImage, Format, KeepData.IsPresent, progress, ct).ConfigureAwait(false),
                DescribeProgress) && PassThru.IsPresent)
        {
            WriteObject(info);
        }
    }
}
