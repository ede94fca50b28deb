using System.Collections;
using System.Management.Automation;
using VirtTest.Core.Vm;
using VirtTest.PowerShell.State;

namespace VirtTest.PowerShell.Completion;

/// <summary>The VM a command line being completed is about: its <c>-Vm</c> (object or name) or its first <c>-Name</c>.</summary>
internal static class CompletionTarget
{
    public static VirtualMachine? Vm(IDictionary? fakeBoundParameters)
    {
        if (fakeBoundParameters is null) return null;
        foreach (var key in new[] { "Vm", "Name" })
        {
            if (!fakeBoundParameters.Contains(key)) continue;
            var value = fakeBoundParameters[key];
            if (value is PSObject pso) value = pso.BaseObject;
            if (value is object[] { Length: > 0 } array) value = array[0] is PSObject first ? first.BaseObject : array[0];
            switch (value)
            {
                case VirtualMachine vm:
                    return vm;
                case string name:
                    return RunspaceInventory.Current.GetVm(name);
            }
        }
        return null;
    }
}
