using System.Management.Automation;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Get-VirtVm</c>: the VMs of this PowerShell session.</summary>
[Cmdlet(VerbsCommon.Get, "VirtVm")]
[OutputType(typeof(VirtualMachine))]
public sealed class GetVirtVmCommand : VirtCmdlet
{
    /// <summary>VM names (wildcards allowed); all VMs when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completion.VmNameCompleter))]
    public string[] Name { get; set; } = { "*" };

    /// <summary>Ask each VM's hypervisor for its current state first (notices VMs that died).</summary>
    [Parameter]
    public SwitchParameter Refresh { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var pattern in Name)
        {
            var found = State.RunspaceInventory.Current.FindVms(pattern);
            if (found.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                WriteError(ErrorRecords.VmNotFound(pattern));
            }
            foreach (var vm in found)
            {
                if (Refresh.IsPresent) TryAwait(vm, ct => vm.RefreshStateAsync(ct));
                WriteObject(vm);
            }
        }
    }
}
