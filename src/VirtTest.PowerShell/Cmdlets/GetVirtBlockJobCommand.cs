using System.Management.Automation;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Get-VirtBlockJob</c>: the block jobs of running VMs.</summary>
[Cmdlet(VerbsCommon.Get, "VirtBlockJob", DefaultParameterSetName = VmSet)]
[OutputType(typeof(BlockJob))]
public sealed class GetVirtBlockJobCommand : VmCmdlet
{
    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        IReadOnlyList<BlockJob>? jobs = null;
        if (TryAwait(vm, async ct => jobs = await vm.GetBlockJobsAsync(ct).ConfigureAwait(false)))
        {
            foreach (var j in jobs!) WriteObject(j);
        }
    }
}
