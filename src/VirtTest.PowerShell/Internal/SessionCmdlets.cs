using System.Management.Automation;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Internal;

/// <summary>Shared parameter handling of the session cmdlets.</summary>
internal static class SessionCmdlets
{
    /// <summary>Session options from the VM's params, with the cmdlet's explicit values first.</summary>
    public static SessionOptions Options(VirtualMachine vm, SessionTransport? transport, PSCredential? credential, double timeoutSec)
    {
        var network = credential?.GetNetworkCredential();
        return SessionOptions.FromParams(vm.Params, transport,
            network is null ? null : credential!.UserName,
            network?.Password,
            timeoutSec > 0 ? TimeSpan.FromSeconds(timeoutSec) : null);
    }
}
