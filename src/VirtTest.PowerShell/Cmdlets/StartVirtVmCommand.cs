using System.Management.Automation;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Start-VirtVm</c>: starts VMs and optionally waits until the guest is ready.</summary>
[Cmdlet(VerbsLifecycle.Start, "VirtVm", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(VirtualMachine))]
public sealed class StartVirtVmCommand : VmCmdlet
{
    /// <summary>Leave the virtual CPUs stopped (the VM starts paused).</summary>
    [Parameter]
    public SwitchParameter Paused { get; set; }

    /// <summary>Wait until the serial console shows -Pattern (default: the params' ready_pattern).</summary>
    [Parameter]
    public SwitchParameter Wait { get; set; }

    /// <summary>Regular expression to wait for on the serial console; implies -Wait.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Pattern { get; set; }

    /// <summary>How long to wait for the pattern (default: the params' login_timeout).</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public double TimeoutSec { get; set; }

    /// <summary>Write the VM to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        if (!ShouldProcess(vm.Name, "Start VM")) return;
        var options = new VmStartOptions
        {
            Paused = Paused.IsPresent,
            Wait = Wait.IsPresent ? ReadyWait.Required : ReadyWait.None,
            ReadyPattern = Pattern,
            Timeout = TimeoutSec > 0 ? TimeSpan.FromSeconds(TimeoutSec) : null,
        };
        var progress = new ProgressRecord(1, $"Starting VM {vm.Name}", "Starting");
        var ok = TryAwaitWithProgress<string>(vm, progress, (reporter, ct) => vm.StartAsync(options, reporter, ct),
            (record, message) => record.StatusDescription = message);
        if (ok && PassThru.IsPresent) WriteObject(vm);
    }
}
