using System.Management.Automation;
using VirtTest.Core.Storage;

namespace VirtTest.PowerShell;

/// <summary>
/// Base of the cmdlets that act on existing image files: they take paths (wildcards,
/// PowerShell paths) by value or by property name (<c>Path</c>, <c>FullName</c> of files,
/// <c>ImagePath</c> of snapshots), so images from Get-VirtImage, Get-ChildItem and
/// Get-VirtImageSnapshot pipe in.
/// </summary>
public abstract class ImageCmdlet : VirtCmdlet
{
    /// <summary>The image files.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "ImagePath")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>qemu-img (from PATH).</summary>
    protected QemuImg Tool { get; } = new();

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var path in Path)
        {
            foreach (var file in Internal.ProviderPaths.ResolveFiles(this, path)) ProcessImage(file);
        }
    }

    /// <summary>The work for one image file (a full file-system path).</summary>
    protected abstract void ProcessImage(string file);

    /// <summary>Shows a qemu-img -p percentage in a progress record.</summary>
    internal static void DescribeProgress(ProgressRecord record, ImageProgress progress)
    {
        record.PercentComplete = (int)Math.Clamp(progress.Percent, 0, 100);
        record.StatusDescription = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{progress.Percent:0.0} %");
    }
}
