using System.Management.Automation;
using VirtTest.Core.Storage;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Compare-VirtImage</c>: whether two images hold the same guest-visible data (qemu-img compare).</summary>
[Cmdlet(VerbsData.Compare, "VirtImage")]
[OutputType(typeof(ImageCompareResult))]
public sealed class CompareVirtImageCommand : VirtCmdlet
{
    /// <summary>The first image.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string ReferencePath { get; set; } = "";

    /// <summary>The image(s) compared with it.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Path", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[] DifferencePath { get; set; } = Array.Empty<string>();

    /// <summary>The first image's format (probed when omitted).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ReferenceFormat { get; set; }

    /// <summary>The second image's format (probed when omitted).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DifferenceFormat { get; set; }

    /// <summary>Also require equal sizes and allocation (qemu-img compare -s).</summary>
    [Parameter]
    public SwitchParameter Strict { get; set; }

    /// <summary>Read images a running VM holds (qemu-img -U).</summary>
    [Parameter]
    public SwitchParameter ForceShare { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var references = Internal.ProviderPaths.ResolveFiles(this, ReferencePath);
        if (references.Count != 1)
        {
            if (references.Count > 1) WriteError(new ErrorRecord(new ArgumentException($"-ReferencePath '{ReferencePath}' names {references.Count} files; give one."), "VirtTest.InvalidArgument", ErrorCategory.InvalidArgument, ReferencePath));
            return;
        }
        foreach (var path in DifferencePath)
        {
            foreach (var file in Internal.ProviderPaths.ResolveFiles(this, path))
            {
                ImageCompareResult? result = null;
                if (TryAwait(file, async ct => result = await new QemuImg().CompareAsync(references[0], file, ReferenceFormat, DifferenceFormat, Strict.IsPresent, ForceShare.IsPresent, ct).ConfigureAwait(false)))
                    WriteObject(result);
            }
        }
    }
}
