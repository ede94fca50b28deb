using System.Management.Automation;
using VirtTest.Core.Storage;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Test-VirtImage</c>: qemu-img check, as a typed result (corruptions, leaks), optionally repairing.</summary>
[Cmdlet(VerbsDiagnostic.Test, "VirtImage", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ImageCheckResult))]
public sealed class TestVirtImageCommand : ImageCmdlet
{
    /// <summary>The image's format (probed when omitted).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Format { get; set; }

    /// <summary>What to repair: None (only check), Leaks, All.</summary>
    [Parameter]
    public ImageRepair Repair { get; set; } = ImageRepair.None;

    /// <summary>Check an image a running VM holds (qemu-img -U).</summary>
    [Parameter]
    public SwitchParameter ForceShare { get; set; }

    /// <inheritdoc />
    protected override void ProcessImage(string file)
    {
        if (Repair != ImageRepair.None && !ShouldProcess(file, $"Check and repair ({Repair})")) return;
        ImageCheckResult? result = null;
        if (TryAwait(file, async ct => result = await Tool.CheckAsync(file, Format, Repair, ForceShare.IsPresent, ct).ConfigureAwait(false))) WriteObject(result);
    }
}
