using System.Management.Automation;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Restart-VirtVm</c>: reboots the guest from inside (the reboot command in a shell) or by a
/// system reset, and returns once it is back (its ready pattern or login prompt after the reboot).
/// </summary>
[Cmdlet(VerbsLifecycle.Restart, "VirtVm", DefaultParameterSetName = VmSet, SupportsShouldProcess = true)]
[OutputType(typeof(VirtualMachine))]
public sealed class RestartVirtVmCommand : VmCmdlet
{
    /// <summary>Guest (the reboot command in a guest shell, the default) or Reset (the hypervisor's reset).</summary>
    [Parameter]
    public RestartMethod Method { get; set; } = RestartMethod.Guest;

    /// <summary>The VM's open sessions: closed by the restart; with -Method Guest the first types the reboot command.</summary>
    [Parameter]
    public GuestSession[] Session { get; set; } = Array.Empty<GuestSession>();

    /// <summary>Seconds for the whole restart; default the VM's login_timeout.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public double TimeoutSec { get; set; }

    /// <summary>Write the VM once its guest is back.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        if (!ShouldProcess(vm.Name, Method == RestartMethod.Guest ? "Reboot the guest" : "Reset the VM")) return;
        var sessions = Session.Where(s => s.VmName is null || s.VmName == vm.Name).ToList();
        TimeSpan took = default;
        if (!TryAwait(vm, async ct => took = await GuestRestart.RestartAsync(vm, Method, sessions, TimeoutSec > 0 ? TimeSpan.FromSeconds(TimeoutSec) : null, ct).ConfigureAwait(false))) return;
        WriteVerbose($"VM {vm.Name} is back after {took.TotalSeconds:0.0} s");
        if (PassThru.IsPresent) WriteObject(vm);
    }
}
