using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Completion;

/// <summary>
/// Tab completion of <c>Add-VirtPciDevice -Model</c>: the models the VM's backend can add
/// (QEMU: the PCI devices its binary offers; libvirt: network card models; Xen: passthrough);
/// without a VM on the command line, the default backend's.
/// </summary>
public sealed class DeviceModelCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var models = CompletionTarget.Vm(fakeBoundParameters) is { } vm
                ? vm.DeviceModels
                : BackendRegistry.Get(BackendRegistry.DefaultBackend).GetDeviceModels(new VirtParams());
            return CompletionText.Matching(models, wordToComplete, CompletionResultType.ParameterValue).ToList();
        }
        catch
        {
            return Array.Empty<CompletionResult>();
        }
    }
}
