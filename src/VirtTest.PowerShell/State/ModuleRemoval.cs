using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace VirtTest.PowerShell.State;

/// <summary>
/// <c>Remove-Module VirtTest</c> ends what the module made in that runspace: its VMs are killed
/// and its sessions closed (other runspaces keep theirs), instead of lingering until the process exits.
/// </summary>
public sealed class ModuleRemoval : IModuleAssemblyCleanup
{
    /// <inheritdoc />
    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        if (Runspace.DefaultRunspace is { } runspace) RunspaceInventory.Existing(runspace)?.Close();
    }
}
