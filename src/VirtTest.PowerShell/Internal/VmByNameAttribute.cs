using System.Management.Automation;
using VirtTest.Core.Vm;
using VirtTest.PowerShell.State;

namespace VirtTest.PowerShell.Internal;

/// <summary>
/// Lets a <c>-Vm</c> parameter take a VM's name as well as the VM: a string becomes the VM of
/// that name in this runspace (so a completed name works), anything else passes through.
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
            string name => Lookup(name),
            object[] items => items.Select(i => (i is PSObject p ? p.BaseObject : i) is string n ? Lookup(n) : i).ToArray(),
            _ => inputData,
        };
    }

    private static object Lookup(string name) =>
        RunspaceInventory.Current.GetVm(name)
        ?? throw new ArgumentTransformationMetadataException($"No VM named '{name}' exists in this session (Get-VirtVm lists them).");
}
