using System.Management.Automation;
using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>One capability of a VM or backend, and whether it is supported.</summary>
public sealed record VirtCapabilityInfo(string Target, string Backend, VmCapability Capability, bool Supported);

/// <summary><c>Get-VirtCapability</c>: what a VM (or a VM not created yet, from its params) can do.</summary>
[Cmdlet(VerbsCommon.Get, "VirtCapability", DefaultParameterSetName = "Vm")]
[OutputType(typeof(VirtCapabilityInfo))]
public sealed class GetVirtCapabilityCommand : VirtCmdlet
{
    /// <summary>The VM to describe.</summary>
    [Parameter(ParameterSetName = "Vm", Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    [Internal.VmByName]
    [ArgumentCompleter(typeof(Completion.VmNameCompleter))]
    public VirtualMachine? Vm { get; set; }

    /// <summary>Params of a VM not created yet; the backend is chosen by vm_type.</summary>
    [Parameter(ParameterSetName = "Params", Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public VirtParams? Params { get; set; }

    /// <summary>Only these capabilities.</summary>
    [Parameter]
    public VmCapability[]? Name { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        string target, backend;
        VmCapability caps;
        if (Vm is not null)
        {
            (target, backend, caps) = (Vm.Name, Vm.BackendName, Vm.Capabilities);
        }
        else
        {
            try
            {
                var (vmName, b, c) = CapabilityQuery.ForParams(Params!);
                (target, backend, caps) = (vmName, b.Name, c);
            }
            catch (VmException ex)
            {
                WriteError(ErrorRecords.FromException(ex, Params));
                return;
            }
        }
        foreach (var capability in Enum.GetValues<VmCapability>())
        {
            if (capability == VmCapability.None) continue;
            if (Name is not null && !Name.Contains(capability)) continue;
            WriteObject(new VirtCapabilityInfo(target, backend, capability, (caps & capability) == capability));
        }
    }
}
