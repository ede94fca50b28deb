using System.Management.Automation;
using VirtTest.Core.Storage;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>New-VirtImage</c>: creates a disk image with qemu-img create.</summary>
[Cmdlet(VerbsCommon.New, "VirtImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ImageInfo))]
public sealed class NewVirtImageCommand : VirtCmdlet
{
    /// <summary>Where to create the image.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Virtual size: bytes (1GB) or qemu-img's notation ("10G").</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Size { get; set; }

    /// <summary>Image format.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Format { get; set; } = "qcow2";

    /// <summary>Backing file: the new image is an overlay on it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? BackingFile { get; set; }

    /// <summary>The backing file's format (read from the file when omitted).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? BackingFormat { get; set; }

    /// <summary>Preallocation mode.</summary>
    [Parameter]
    public ImagePreallocation Preallocation { get; set; }

    /// <summary>Cluster size ("64K", bytes).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ClusterSize { get; set; }

    /// <summary>More qemu-img -o options ("lazy_refcounts=on").</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Option { get; set; }

    /// <summary>Overwrite an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var file = GetUnresolvedProviderPathFromPSPath(Path);
        var backing = BackingFile is null ? null : GetUnresolvedProviderPathFromPSPath(BackingFile);
        var what = $"Create {Format} image" + (Size is null ? "" : $" of {Size}") + (backing is null ? "" : $" on backing file {backing}");
        if (!ShouldProcess(file, what)) return;
        var options = new ImageCreateOptions
        {
            Format = Format,
            Size = Size,
            BackingFile = backing,
            BackingFormat = BackingFormat,
            Preallocation = MyInvocation.BoundParameters.ContainsKey(nameof(Preallocation)) ? Preallocation : null,
            ClusterSize = ClusterSize,
            ExtraOptions = Option,
        };
        ImageInfo? info = null;
        if (TryAwait(file, async ct => info = await new QemuImg().CreateAsync(file, options, Force.IsPresent, ct).ConfigureAwait(false))) WriteObject(info);
    }
}
