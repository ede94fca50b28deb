using System.Globalization;
using System.Management.Automation;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Invoke-VirtBlockJob</c>: runs a stream, commit or mirror job on a disk of running VMs
/// through to its end, with progress; what happens when a mirror or active commit is ready
/// is <c>-WhenReady</c>.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "VirtBlockJob", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(BlockJob))]
public sealed class InvokeVirtBlockJobCommand : VmCmdlet
{
    /// <summary>Stream, Commit or Mirror.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateSet("Stream", "Commit", "Mirror")]
    public BlockJobType Type { get; set; }

    /// <summary>The disk's id.</summary>
    [Parameter(Mandatory = true, Position = 2)]
    [ValidateNotNullOrEmpty]
    public string Id { get; set; } = "";

    /// <summary>Mirror: the new image (created by the job).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Target { get; set; }

    /// <summary>Mirror: the new image's format.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string TargetFormat { get; set; } = "qcow2";

    /// <summary>Commit: the image to write into; stream: the image to stop at.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Base { get; set; }

    /// <summary>Commit: the image to start from (default: the active top image).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Top { get; set; }

    /// <summary>Bytes per second limit.</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long Speed { get; set; }

    /// <summary>What to do when the job is ready: Complete (switch over), Cancel (stay), Return (leave it ready).</summary>
    [Parameter]
    public ReadyAction WhenReady { get; set; } = ReadyAction.Complete;

    /// <summary>How long the job may take.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public double TimeoutSec { get; set; } = 600;

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        var spec = new BlockJobSpec(Type, Id)
        {
            Target = Target is null ? null : GetUnresolvedProviderPathFromPSPath(Target),
            TargetFormat = TargetFormat,
            Base = Base is null ? null : GetUnresolvedProviderPathFromPSPath(Base),
            Top = Top is null ? null : GetUnresolvedProviderPathFromPSPath(Top),
            Speed = Speed,
        };
        if (!ShouldProcess(vm.Name, $"Run a {Type.ToString().ToLowerInvariant()} job on disk {Id}" + (spec.Target is null ? "" : $" to {spec.Target}"))) return;
        var record = new ProgressRecord(8, $"{Type} job on disk {Id} of VM {vm.Name}", "starting");
        BlockJob? job = null;
        if (TryAwaitWithProgress<BlockJob>(vm, record,
                async (progress, ct) => job = await vm.RunBlockJobAsync(spec, WhenReady, progress, Seconds(TimeoutSec), ct).ConfigureAwait(false),
                (r, j) =>
                {
                    r.PercentComplete = (int)Math.Clamp(j.Percent, 0, 100);
                    r.StatusDescription = string.Create(CultureInfo.InvariantCulture, $"{j.Status}: {j.Offset / 1048576.0:0.0} of {j.Length / 1048576.0:0.0} MiB");
                }))
        {
            WriteObject(job);
        }
    }
}
