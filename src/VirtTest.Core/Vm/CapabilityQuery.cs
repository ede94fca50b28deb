using VirtTest.Core.Config;

namespace VirtTest.Core.Vm;

/// <summary>What a VM of a test's params would be able to do, before any VM is created.</summary>
public static class CapabilityQuery
{
    /// <summary>
    /// The VM (named, or the test's main VM), the backend its <c>vm_type</c> selects, and that
    /// backend's capabilities for the VM's params. An unknown <c>vm_type</c> (or a backend
    /// param such as <c>xen_guest_type</c> with a bad value) is a <see cref="VmParamException"/>.
    /// </summary>
    public static (string VmName, IVmBackend Backend, VmCapability Capabilities) ForParams(VirtParams testParams, string? vmName = null)
    {
        ArgumentNullException.ThrowIfNull(testParams);
        vmName ??= VirtualMachine.VmNames(testParams)[0];
        var vmParams = testParams.ObjectParams(vmName);
        var backend = BackendRegistry.ForParams(vmParams, vmName);
        VmCapability caps;
        try
        {
            caps = backend.GetCapabilities(vmParams);
        }
        catch (VmParamException ex) when (ex.VmName.Length == 0)
        {
            // GetCapabilities sees params only: name the VM in the error.
            throw new VmParamException(vmName, ex.Param, ex.Value, Problem(ex), ex.ValidChoices);
        }
        return (vmName, backend, caps);
    }

    /// <summary>The problem part of a VmParamException's message ("VM 'x': param p = 'v': PROBLEM. Valid choices: ...").</summary>
    private static string Problem(VmParamException ex)
    {
        var marker = $"= '{ex.Value}': ";
        var text = ex.Message;
        var at = text.IndexOf(marker, StringComparison.Ordinal);
        if (at >= 0) text = text[(at + marker.Length)..];
        var choices = text.IndexOf(". Valid choices: ", StringComparison.Ordinal);
        if (choices >= 0) text = text[..choices];
        return text.TrimEnd('.');
    }
}
