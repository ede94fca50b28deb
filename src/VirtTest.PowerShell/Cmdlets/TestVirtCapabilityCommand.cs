using System.Management.Automation;
using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Test-VirtCapability</c>: $true when a VM (or the main VM of params, before it exists)
/// supports every named capability. Made for Pester's <c>-Skip:(-not (Test-VirtCapability ...))</c>.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "VirtCapability", DefaultParameterSetName = "Vm")]
[OutputType(typeof(bool))]
public sealed class TestVirtCapabilityCommand : VirtCmdlet
{
    /// <summary>The VM to test.</summary>
    [Parameter(ParameterSetName = "Vm", Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    [Internal.VmByName]
    [ArgumentCompleter(typeof(Completion.VmNameCompleter))]
    public VirtualMachine? Vm { get; set; }

    /// <summary>Params of a VM not created yet; the backend is chosen by vm_type.</summary>
    [Parameter(ParameterSetName = "Params", Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public VirtParams? Params { get; set; }

    /// <summary>The capabilities that must all be supported (first positional argument when params come from the pipeline).</summary>
    [Parameter(ParameterSetName = "Vm", Mandatory = true, Position = 1)]
    [Parameter(ParameterSetName = "Params", Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public VmCapability[] Name { get; set; } = Array.Empty<VmCapability>();

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        VmCapability caps;
        if (Vm is not null)
        {
            caps = Vm.Capabilities;
        }
        else
        {
            try
            {
                caps = CapabilityQuery.ForParams(Params!).Capabilities;
            }
            catch (VmException ex)
            {
                WriteError(ErrorRecords.FromException(ex, Params));
                return;
            }
        }
        var wanted = Name.Aggregate(VmCapability.None, (all, c) => all | c);
        WriteObject((caps & wanted) == wanted);
    }
}
