using System.Management.Automation;
using VirtTest.Core.Storage;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Set-VirtImage</c>: changes an image's backing file (qemu-img rebase), or makes the image
/// standalone (<c>-RemoveBackingFile</c>), with progress.
/// </summary>
[Cmdlet(VerbsCommon.Set, "VirtImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = RebaseSet)]
[OutputType(typeof(ImageInfo))]
public sealed class SetVirtImageCommand : ImageCmdlet
{
    private const string RebaseSet = "Rebase";
    private const string StandaloneSet = "Standalone";

    /// <summary>The new backing file.</summary>
    [Parameter(Mandatory = true, ParameterSetName = RebaseSet)]
    [ValidateNotNullOrEmpty]
    public string BackingFile { get; set; } = "";

    /// <summary>The new backing file's format (read from the file when omitted).</summary>
    [Parameter(ParameterSetName = RebaseSet)]
    [ValidateNotNullOrEmpty]
    public string? BackingFormat { get; set; }

    /// <summary>Only rewrite the header (the backing file was moved or renamed; its data is the same).</summary>
    [Parameter(ParameterSetName = RebaseSet)]
    public SwitchParameter Unsafe { get; set; }

    /// <summary>Copy the backing chain's data into the image and drop its backing file.</summary>
    [Parameter(Mandatory = true, ParameterSetName = StandaloneSet)]
    public SwitchParameter RemoveBackingFile { get; set; }

    /// <summary>The image's format (probed when omitted).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Format { get; set; }

    /// <summary>Write the changed image's info.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessImage(string file)
    {
        var backing = RemoveBackingFile.IsPresent ? null : GetUnresolvedProviderPathFromPSPath(BackingFile);
        var what = backing is null ? "Copy the backing chain's data in and remove the backing file"
            : $"Set the backing file to {backing}" + (Unsafe.IsPresent ? " (unsafe: header only)" : "");
        if (!ShouldProcess(file, what)) return;
        var record = new ProgressRecord(6, $"Rebasing {System.IO.Path.GetFileName(file)}", "starting");
        ImageInfo? info = null;
        if (TryAwaitWithProgress<ImageProgress>(file, record,
                async (progress, ct) => info = await Tool.RebaseAsync(file, backing, BackingFormat, Format, Unsafe.IsPresent, progress, ct).ConfigureAwait(false),
                DescribeProgress) && PassThru.IsPresent)
        {
            WriteObject(info);
        }
    }
}
