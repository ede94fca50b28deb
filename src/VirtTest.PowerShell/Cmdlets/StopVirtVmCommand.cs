using System.Management.Automation;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Stop-VirtVm</c>: powers VMs down gracefully within a timeout, then by force.</summary>
[Cmdlet(VerbsLifecycle.Stop, "VirtVm", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(VirtualMachine))]
public sealed class StopVirtVmCommand : VmCmdlet
{
    /// <summary>Seconds the guest gets to power off after the power button (default: params kill_vm_timeout, else 60).</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public double TimeoutSec { get; set; } = -1;

    /// <summary>Kill the VM at once, without asking the guest.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Write the VM to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        if (!ShouldProcess(vm.Name, Force.IsPresent ? "Kill VM" : "Stop VM")) return;
        var timeout = Force.IsPresent ? 0
            : TimeoutSec >= 0 ? TimeoutSec
            : double.TryParse(vm.Params.Get("kill_vm_timeout"), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var t) ? t : 60;
        WriteVerbose($"Stopping VM {vm.Name} (graceful timeout {timeout} s)");
        if (TryAwait(vm, ct => Force.IsPresent ? vm.KillAsync() : vm.StopAsync(TimeSpan.FromSeconds(timeout), ct)) && PassThru.IsPresent)
        {
            WriteObject(vm);
        }
    }
}
