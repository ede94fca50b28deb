using System.Management.Automation;
using VirtTest.Core.Monitor;
using VirtTest.Core.Runner.Cluster;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Move-VirtVm</c>: live-migrates VMs to a new hypervisor instance on this host, or with
/// <c>-Destination</c> to a QEMU waiting on another node of a cluster test's job.
/// </summary>
[Cmdlet(VerbsCommon.Move, "VirtVm", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VirtualMachine), typeof(MigrationDestination))]
public sealed class MoveVirtVmCommand : VmCmdlet
{
    /// <summary>Transport of the migration stream.</summary>
    [Parameter]
    [ValidateSet("unix", "tcp")]
    public string Protocol { get; set; } = "unix";

    /// <summary>Also copy the disks (non-shared storage).</summary>
    [Parameter]
    public SwitchParameter CopyStorage { get; set; }

    /// <summary>With -CopyStorage: where the destination's image files go (default: next to each source image).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StorageDirectory { get; set; }

    /// <summary>The whole migration must finish within this many seconds.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public double TimeoutSec { get; set; } = 300;

    /// <summary>Write the VM (now standing for the destination) to the pipeline; with -Destination, the destination.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>A destination on another node ($Env.Data['migration_destination'] of a cluster test with migration_dest_host = auto).</summary>
    [Parameter]
    public MigrationDestination? Destination { get; set; }

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        if (Destination is not null)
        {
            MoveToNode(vm, Destination);
            return;
        }
        if (!ShouldProcess(vm.Name, $"Live-migrate VM over {Protocol}")) return;
        var record = new ProgressRecord(2, $"Migrating VM {vm.Name}", "starting");
        var options = new MigrationOptions
        {
            Protocol = Protocol,
            CopyStorage = CopyStorage.IsPresent,
            StorageDirectory = StorageDirectory is null ? null : GetUnresolvedProviderPathFromPSPath(StorageDirectory),
            Timeout = TimeSpan.FromSeconds(TimeoutSec),
        };
        var migrated = TryAwaitWithProgress<MigrationProgress>(vm, record,
            (progress, ct) => vm.MigrateAsync(options, progress, ct),
            (r, p) =>
            {
                r.StatusDescription = p.Status == "storage" ? $"copying disks: {p.TransferredBytes / 1048576.0:0.0} of {p.TotalBytes / 1048576.0:0.0} MiB" : $"{p.Status}: {p.TransferredBytes / 1048576.0:0.0} MiB sent";
                r.PercentComplete = p.Percent;
            });
        if (migrated && PassThru.IsPresent) WriteObject(vm);
    }

    private void MoveToNode(VirtualMachine vm, MigrationDestination destination)
    {
        if (CopyStorage.IsPresent || MyInvocation.BoundParameters.ContainsKey(nameof(Protocol)))
        {
            WriteError(new ErrorRecord(new ArgumentException("-Destination migrates over TCP to the other node, with shared storage: leave out -Protocol and -CopyStorage."),
                "VirtTest.MigrationDestinationOptions", ErrorCategory.InvalidArgument, vm));
            return;
        }
        if (!ShouldProcess(vm.Name, $"Live-migrate VM to node {destination.Node} ({destination.MigrationUri})")) return;
        var record = new ProgressRecord(2, $"Migrating VM {vm.Name} to {destination.Node}", "starting");
        var migrated = TryAwaitWithProgress<MigrationProgress>(vm, record,
            (progress, ct) => destination.MigrateAsync(vm, TimeSpan.FromSeconds(TimeoutSec), progress, ct),
            (r, p) =>
            {
                r.StatusDescription = $"{p.Status}: {p.TransferredBytes / 1048576.0:0.0} MiB sent";
                r.PercentComplete = p.Percent;
            });
        if (migrated && PassThru.IsPresent) WriteObject(destination);
    }
}
