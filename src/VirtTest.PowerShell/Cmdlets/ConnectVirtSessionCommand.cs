using System.Management.Automation;
using VirtTest.Core.Session;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Connect-VirtSession</c>: opens a shell session on a running guest over its serial
/// console or SSH, logging in with a credential (or the params' username and password).
/// Expects the guest to be up: it tries for 30 s unless -TimeoutSec says otherwise.
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "VirtSession", DefaultParameterSetName = VmSet)]
[OutputType(typeof(GuestSession))]
public sealed class ConnectVirtSessionCommand : SessionLoginCmdlet
{
    /// <inheritdoc />
    protected override double? DefaultTimeoutSec => 30;
}
