using System.Management.Automation;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Wait-VirtVmEvent</c>: waits for a monitor event (STOP, RESUME, DEVICE_DELETED, SHUTDOWN, ...).</summary>
[Cmdlet(VerbsLifecycle.Wait, "VirtVmEvent", DefaultParameterSetName = VmSet)]
[OutputType(typeof(MonitorEvent))]
public sealed class WaitVirtVmEventCommand : VmCmdlet
{
    /// <summary>The event name, e.g. STOP.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string EventName { get; set; } = "";

    /// <summary>Only events received after this sequence number (an earlier event's Sequence); 0 also returns events already logged.</summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long After { get; set; }

    /// <summary>How long to wait.</summary>
    [Parameter]
    [ValidateRange(0.1, 86400)]
    public double TimeoutSec { get; set; } = 30;

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        MonitorEvent? e = null;
        if (TryAwait(vm, async ct => e = await vm.WaitForEventAsync(EventName, null, After, TimeSpan.FromSeconds(TimeoutSec), ct).ConfigureAwait(false)))
        {
            WriteObject(e);
        }
    }
}
