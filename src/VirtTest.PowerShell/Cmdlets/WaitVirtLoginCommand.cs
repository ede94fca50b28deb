using System.Management.Automation;
using VirtTest.Core.Session;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Wait-VirtLogin</c>: the established wait_for_login. Waits while the guest boots,
/// retrying until it can log in (default deadline: the params' login_timeout, else 60 s),
/// and returns the session.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "VirtLogin", DefaultParameterSetName = VmSet)]
[OutputType(typeof(GuestSession))]
public sealed class WaitVirtLoginCommand : SessionLoginCmdlet
{
    /// <inheritdoc />
    protected override double? DefaultTimeoutSec => null;
}
