using System.Management.Automation;
using VirtTest.Core.Transfer;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Get-VirtMediaHash</c>: the established cd_hash: MD5 and SHA1 of an install medium's
/// first MiB(s) and of the whole file, read in chunks.
/// </summary>
[Cmdlet(VerbsCommon.Get, "VirtMediaHash")]
[OutputType(typeof(MediaHash))]
public sealed class GetVirtMediaHashCommand : VirtCmdlet
{
    /// <summary>The media files (ISO images, disk images).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>How many MiB at the start of the file the prefix sums cover (cd_hash uses 1).</summary>
    [Parameter]
    [ValidateRange(0, 1048576)]
    public int PrefixMiB { get; set; } = MediaHash.DefaultPrefixMiB;

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var path in Path)
        {
            foreach (var file in Internal.ProviderPaths.ResolveFiles(this, path))
            {
                MediaHash? hash = null;
                if (TryAwait(file, async ct => hash = await MediaHash.ComputeAsync(file, PrefixMiB, ct).ConfigureAwait(false))) WriteObject(hash);
            }
        }
    }
}
