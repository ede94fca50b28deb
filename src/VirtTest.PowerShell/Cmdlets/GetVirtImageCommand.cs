using System.Management.Automation;
using VirtTest.Core.Storage;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Get-VirtImage</c>: what qemu-img info says about images, optionally with their backing chain.</summary>
[Cmdlet(VerbsCommon.Get, "VirtImage")]
[OutputType(typeof(ImageInfo))]
public sealed class GetVirtImageCommand : ImageCmdlet
{
    /// <summary>The image's format (probed when omitted).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Format { get; set; }

    /// <summary>Also write every backing file below the image.</summary>
    [Parameter]
    public SwitchParameter BackingChain { get; set; }

    /// <summary>Read an image a running VM holds (qemu-img -U).</summary>
    [Parameter]
    public SwitchParameter ForceShare { get; set; }

    /// <inheritdoc />
    protected override void ProcessImage(string file)
    {
        IReadOnlyList<ImageInfo>? chain = null;
        if (TryAwait(file, async ct => chain = BackingChain.IsPresent
                ? await Tool.GetBackingChainAsync(file, Format, ForceShare.IsPresent, ct).ConfigureAwait(false)
                : new[] { await Tool.GetInfoAsync(file, Format, ForceShare.IsPresent, ct).ConfigureAwait(false) }))
        {
            foreach (var info in chain!) WriteObject(info);
        }
    }
}
