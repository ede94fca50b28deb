using System.Management.Automation;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Move-VirtVm</c>: live-migrates VMs to a new hypervisor instance on this host.</summary>
[Cmdlet(VerbsCommon.Move, "VirtVm", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VirtualMachine))]
public sealed class MoveVirtVmCommand : VmCmdlet
{
    /// <summary>Transport of the migration stream.</summary>
    [Parameter]
    [ValidateSet("unix", "tcp")]
    public string Protocol { get; set; } = "unix";

    /// <summary>Also copy the disks (non-shared storage).</summary>
    [Parameter]
    public SwitchParameter CopyStorage { get; set; }

    /// <summary>The whole migration must finish within this many seconds.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public double TimeoutSec { get; set; } = 300;

    /// <summary>Write the VM (now standing for the destination) to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        if (!ShouldProcess(vm.Name, $"Live-migrate VM over {Protocol}")) return;
        var record = new ProgressRecord(2, $"Migrating VM {vm.Name}", "starting");
        // Progress reports arrive on pool threads; only the pipeline thread may write them.
        var latest = default(MigrationProgress);
        var options = new MigrationOptions { Protocol = Protocol, CopyStorage = CopyStorage.IsPresent, Timeout = TimeSpan.FromSeconds(TimeoutSec) };
        var task = Task.Run(() => vm.MigrateAsync(options, new SyncProgress(p => latest = p), CancellationToken));
        try
        {
            while (!task.Wait(200))
            {
                if (latest is { } p)
                {
                    record.StatusDescription = $"{p.Status}: {p.TransferredBytes / 1048576.0:0.0} MiB sent";
                    record.PercentComplete = p.Percent;
                }
                WriteProgress(record);
            }
        }
        catch (AggregateException) { /* observed below */ }
        finally
        {
            record.RecordType = ProgressRecordType.Completed;
            WriteProgress(record);
        }
        if (TryAwait(vm, _ => task) && PassThru.IsPresent) WriteObject(vm);
    }

    private sealed class SyncProgress : IProgress<MigrationProgress>
    {
        private readonly Action<MigrationProgress> _report;
        public SyncProgress(Action<MigrationProgress> report) => _report = report;
        public void Report(MigrationProgress value) => _report(value);
    }
}
