using System.Management.Automation;
using System.Text.RegularExpressions;
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

    /// <summary>How long to wait for the pattern (default: params login_timeout, else 120).</summary>
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
        if (!TryAwait(vm, ct => vm.StartAsync(Paused.IsPresent, ct))) return;

        var pattern = Pattern ?? (Wait.IsPresent ? vm.Params.Get("ready_pattern") : null);
        if (Wait.IsPresent && string.IsNullOrEmpty(pattern))
        {
            WriteError(new ErrorRecord(new ArgumentException($"VM '{vm.Name}': -Wait needs -Pattern or a ready_pattern param."), "VirtTest.NoReadyPattern", ErrorCategory.InvalidArgument, vm));
        }
        else if (pattern is not null)
        {
            var timeout = TimeoutSec > 0 ? TimeoutSec
                : double.TryParse(vm.Params.Get("login_timeout"), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var t) ? t : 120;
            var progress = new ProgressRecord(1, $"Starting VM {vm.Name}", $"Waiting for '{pattern}' on the serial console");
            WriteProgress(progress);
            var ok = false;
            try
            {
                ok = TryAwait(vm, ct => vm.WaitForConsoleAsync(new Regex(pattern, RegexOptions.Multiline), TimeSpan.FromSeconds(timeout), ct));
            }
            finally
            {
                // A boot that did not finish (error or Ctrl+C) leaves no QEMU behind.
                if (!ok) vm.KillAsync().GetAwaiter().GetResult();
                progress.RecordType = ProgressRecordType.Completed;
                WriteProgress(progress);
            }
            if (!ok) return;
        }
        if (PassThru.IsPresent) WriteObject(vm);
    }
}
