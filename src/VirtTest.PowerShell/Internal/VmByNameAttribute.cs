using System.Management.Automation;
using VirtTest.Core.Vm;
using VirtTest.PowerShell.State;

namespace VirtTest.PowerShell.Internal;

/// <summary>
/// Lets a <c>-Vm</c> parameter take a VM's name as well as the VM: a string becomes the VM of
/// that name in this runspace (so a completed name works), anything else passes through.
/// A string that names no VM passes through too: the binder may then try the positional argument on
/// another parameter set (<c>$vm | Test-VirtCapability Screendump</c>), and where none takes it the
/// error is PowerShell's own conversion error naming the string.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class VmByNameAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc />
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value switch
        {
            string name => Lookup(name) ?? inputData,
            object[] items => items.Select(i => (i is PSObject p ? p.BaseObject : i) is string n ? Lookup(n) ?? i : i).ToArray(),
            _ => inputData,
        };
    }

    private static object? Lookup(string name) => RunspaceInventory.Current.GetVm(name);
}
