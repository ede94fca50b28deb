using System.Management.Automation;
using VirtTest.Core.Storage;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Get-VirtImageSnapshot</c>: the internal snapshots of images.</summary>
[Cmdlet(VerbsCommon.Get, "VirtImageSnapshot")]
[OutputType(typeof(ImageSnapshot))]
public sealed class GetVirtImageSnapshotCommand : ImageCmdlet
{
    /// <summary>Only snapshots with a matching name (wildcards allowed).</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>The image's format (probed when omitted).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Format { get; set; }

    /// <summary>Read an image a running VM holds (qemu-img -U).</summary>
    [Parameter]
    public SwitchParameter ForceShare { get; set; }

    /// <inheritdoc />
    protected override void ProcessImage(string file)
    {
        IReadOnlyList<ImageSnapshot>? snapshots = null;
        if (!TryAwait(file, async ct => snapshots = await Tool.GetSnapshotsAsync(file, Format, ForceShare.IsPresent, ct).ConfigureAwait(false))) return;
        var pattern = Name is null ? null : new WildcardPattern(Name, WildcardOptions.None);
        var found = snapshots!.Where(s => pattern is null || pattern.IsMatch(s.Name)).ToList();
        if (found.Count == 0 && Name is not null && !WildcardPattern.ContainsWildcardCharacters(Name))
        {
            WriteError(ErrorRecords.FromException(new ImageSnapshotNotFoundException(file, Name, snapshots!.Select(s => s.Name).ToList()), file));
        }
        foreach (var s in found) WriteObject(s);
    }
}
