using System.Management.Automation;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Internal;

/// <summary>Shared parameter handling of the session cmdlets.</summary>
internal static class SessionCmdlets
{
    /// <summary>Session options from the VM's params, with the cmdlet's explicit values first.</summary>
    public static SessionOptions Options(VirtualMachine vm, SessionTransport? transport, PSCredential? credential, double timeoutSec, ShellDialect? dialect = null)
    {
        var network = credential?.GetNetworkCredential();
        return SessionOptions.FromParams(vm.Params, transport,
            network is null ? null : credential!.UserName,
            network?.Password,
            timeoutSec > 0 ? TimeSpan.FromSeconds(timeoutSec) : null,
            dialect);
    }

    /// <summary>Session options for a host by address (no params): the cmdlet's values and the transport's defaults.</summary>
    public static SessionOptions AddressOptions(SessionTransport transport, PSCredential? credential, double timeoutSec, ShellDialect? dialect) =>
        SessionOptions.ForAddress(transport, credential?.UserName, credential?.GetNetworkCredential().Password, TimeSpan.FromSeconds(timeoutSec), dialect);
}
