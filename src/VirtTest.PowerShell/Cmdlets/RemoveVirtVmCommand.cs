using System.Management.Automation;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Remove-VirtVm</c>: kills VMs if they still run and removes them from the session.</summary>
[Cmdlet(VerbsCommon.Remove, "VirtVm", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class RemoveVirtVmCommand : VmCmdlet
{
    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        if (!ShouldProcess(vm.Name, "Remove VM")) return;
        // Sessions to the VM go first: their sockets would only fail once it is gone.
        var inventory = State.RunspaceInventory.Current;
        if (TryAwait(vm, async _ =>
            {
                await inventory.CloseSessionsForVmAsync(vm.Name).ConfigureAwait(false);
                await vm.DisposeAsync().ConfigureAwait(false);
            }))
        {
            inventory.RemoveVm(vm);
        }
    }
}
