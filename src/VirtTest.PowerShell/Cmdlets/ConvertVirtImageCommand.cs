using System.Management.Automation;
using VirtTest.Core.Storage;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Convert-VirtImage</c>: qemu-img convert to a new file, with progress.</summary>
[Cmdlet(VerbsData.Convert, "VirtImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(ImageInfo))]
public sealed class ConvertVirtImageCommand : VirtCmdlet
{
    /// <summary>The source image.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>The new image.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    /// <summary>The new image's format.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Format { get; set; } = "qcow2";

    /// <summary>The source's format (probed when omitted).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SourceFormat { get; set; }

    /// <summary>Compress the new image (qcow2, vmdk).</summary>
    [Parameter]
    public SwitchParameter Compress { get; set; }

    /// <summary>Preallocation of the new image.</summary>
    [Parameter]
    public ImagePreallocation Preallocation { get; set; }

    /// <summary>Cluster size of the new image.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ClusterSize { get; set; }

    /// <summary>Read a source a running VM holds (qemu-img -U).</summary>
    [Parameter]
    public SwitchParameter ForceShare { get; set; }

    /// <summary>Overwrite an existing destination.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var source in Internal.ProviderPaths.ResolveFiles(this, Path))
        {
            var destination = GetUnresolvedProviderPathFromPSPath(Destination);
            if (!ShouldProcess(destination, $"Convert {source} to a {Format} image")) continue;
            var options = new ImageConvertOptions
            {
                Format = Format,
                SourceFormat = SourceFormat,
                Compress = Compress.IsPresent,
                Preallocation = MyInvocation.BoundParameters.ContainsKey(nameof(Preallocation)) ? Preallocation : null,
                ClusterSize = ClusterSize,
                ForceShare = ForceShare.IsPresent,
                Overwrite = Force.IsPresent,
            };
            var record = new ProgressRecord(5, $"Converting {System.IO.Path.GetFileName(source)} to {Format}", "starting");
            ImageInfo? info = null;
            if (TryAwaitWithProgress<ImageProgress>(source, record,
                    async (progress, ct) => info = await new QemuImg().ConvertAsync(source, destination, options, progress, ct).ConfigureAwait(false),
                    ImageCmdlet.DescribeProgress))
            {
                WriteObject(info);
            }
        }
    }
}
