using System.Management.Automation;
using VirtTest.Core.Session;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Disconnect-VirtSession</c>: closes guest sessions (the guest keeps running).</summary>
[Cmdlet(VerbsCommunications.Disconnect, "VirtSession", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(void))]
public sealed class DisconnectVirtSessionCommand : VirtCmdlet
{
    /// <summary>The sessions to close.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public GuestSession[] Session { get; set; } = Array.Empty<GuestSession>();

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var session in Session)
        {
            if (!ShouldProcess(session.Name, "Close session")) continue;
            State.RunspaceInventory.Current.RemoveSession(session);
            TryAwait(session, _ => session.DisposeAsync().AsTask());
        }
    }
}
