using System.Management.Automation;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell;

/// <summary>
/// Base of the cmdlets that act on existing VMs: they take VMs by object (<c>-Vm</c>, from
/// the pipeline) or by name (<c>-Name</c>, wildcards, also bound by property name).
/// </summary>
public abstract class VmCmdlet : VirtCmdlet
{
    protected const string VmSet = "Vm";
    protected const string NameSet = "Name";

    /// <summary>The VMs to act on.</summary>
    [Parameter(ParameterSetName = VmSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    [Internal.VmByName]
    [ArgumentCompleter(typeof(Completion.VmNameCompleter))]
    public VirtualMachine[] Vm { get; set; } = Array.Empty<VirtualMachine>();

    /// <summary>Names of VMs of this session (wildcards allowed).</summary>
    [Parameter(ParameterSetName = NameSet, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("VmName")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completion.VmNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>The VMs named by -Vm or -Name; a name that matches nothing is a non-terminating error.</summary>
    protected IEnumerable<VirtualMachine> ResolveVms()
    {
        if (ParameterSetName == VmSet)
        {
            foreach (var vm in Vm) yield return vm;
            yield break;
        }
        foreach (var pattern in Name)
        {
            var found = State.RunspaceInventory.Current.FindVms(pattern);
            if (found.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                WriteError(ErrorRecords.VmNotFound(pattern));
            }
            foreach (var vm in found) yield return vm;
        }
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var vm in ResolveVms()) ProcessVm(vm);
    }

    /// <summary>The work for one VM.</summary>
    protected abstract void ProcessVm(VirtualMachine vm);

    /// <summary>Seconds to TimeSpan; 0 or less means no wait.</summary>
    protected static TimeSpan Seconds(double seconds) => TimeSpan.FromSeconds(Math.Max(0, seconds));
}
