using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using VirtTest.PowerShell.State;

namespace VirtTest.PowerShell.Completion;

/// <summary>Tab completion of session names: the open sessions of this runspace.</summary>
public sealed class SessionNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            return CompletionText.Matching(RunspaceInventory.Current.Sessions.Select(s => s.Name), wordToComplete, CompletionResultType.ParameterValue).ToList();
        }
        catch
        {
            return Array.Empty<CompletionResult>();
        }
    }
}
