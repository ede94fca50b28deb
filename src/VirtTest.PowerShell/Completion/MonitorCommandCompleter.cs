using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Completion;

/// <summary>
/// Tab completion of <c>Invoke-VirtMonitor -Command</c>: the commands the VM's own monitor
/// accepts (QMP <c>query-commands</c>), asked once per VM and cached.
/// </summary>
public sealed class MonitorCommandCompleter : IArgumentCompleter
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);

    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            if (CompletionTarget.Vm(fakeBoundParameters) is not { } vm) return Array.Empty<CompletionResult>();
            var commands = vm.CachedMonitorCommands;
            if (commands is null && vm.State is VmState.Running or VmState.Paused && vm.Supports(VmCapability.RawMonitor))
            {
                using var cts = new CancellationTokenSource(AskTimeout);
                commands = vm.GetMonitorCommandsAsync(cts.Token).GetAwaiter().GetResult();
            }
            return CompletionText.Matching(commands ?? Array.Empty<string>(), wordToComplete, CompletionResultType.ParameterValue).ToList();
        }
        catch
        {
            return Array.Empty<CompletionResult>();
        }
    }
}
