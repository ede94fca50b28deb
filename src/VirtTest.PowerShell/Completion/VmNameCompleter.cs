using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using VirtTest.PowerShell.State;

namespace VirtTest.PowerShell.Completion;

/// <summary>Tab completion of VM names: the VMs of this runspace (<c>-Name</c>, <c>-Vm</c>).</summary>
public sealed class VmNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var vms = RunspaceInventory.Current.Vms;
            return CompletionText.Matching(vms.Select(vm => vm.Name), wordToComplete, CompletionResultType.ParameterValue,
                name => vms.First(vm => vm.Name == name).ToString()).ToList();
        }
        catch
        {
            return Array.Empty<CompletionResult>(); // a completer never throws
        }
    }
}
