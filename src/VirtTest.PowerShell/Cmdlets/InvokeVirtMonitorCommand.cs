using System.Management.Automation;
using System.Text.Json.Nodes;
using VirtTest.Core.Vm;
using VirtTest.PowerShell.Internal;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Invoke-VirtMonitor</c>: the raw escape hatch. Sends one monitor command (QMP by name
/// with arguments, or a human monitor command line) and returns the answer.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "VirtMonitor", DefaultParameterSetName = "VmCommand")]
[OutputType(typeof(PSObject), typeof(string))]
public sealed class InvokeVirtMonitorCommand : VirtCmdlet
{
    /// <summary>The VM to send the command to.</summary>
    [Parameter(ParameterSetName = "VmCommand", Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [Parameter(ParameterSetName = "VmHuman", Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    [Internal.VmByName]
    [ArgumentCompleter(typeof(Completion.VmNameCompleter))]
    public VirtualMachine? Vm { get; set; }

    /// <summary>The machine-protocol command name, e.g. query-pci.</summary>
    [Parameter(ParameterSetName = "VmCommand", Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completion.MonitorCommandCompleter))]
    public string Command { get; set; } = "";

    /// <summary>The command's arguments.</summary>
    [Parameter(ParameterSetName = "VmCommand")]
    public System.Collections.IDictionary? Arguments { get; set; }

    /// <summary>A human monitor command line, e.g. 'info pci'.</summary>
    [Parameter(ParameterSetName = "VmHuman", Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Human { get; set; } = "";

    /// <summary>How long to wait for the answer.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public double TimeoutSec { get; set; } = 30;

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var vm = Vm!;
        var timeout = TimeSpan.FromSeconds(TimeoutSec);
        if (ParameterSetName == "VmHuman")
        {
            string text = "";
            if (TryAwait(vm, async ct => text = await vm.InvokeHumanMonitorAsync(Human, timeout, ct).ConfigureAwait(false))) WriteObject(text);
            return;
        }
        JsonNode? reply = null;
        if (TryAwait(vm, async ct => reply = await vm.InvokeMonitorAsync(Command, JsonToPowerShell.ToJsonObject(Arguments), timeout, ct).ConfigureAwait(false)))
        {
            WriteObject(JsonToPowerShell.ToPowerShell(reply), enumerateCollection: true);
        }
    }
}
