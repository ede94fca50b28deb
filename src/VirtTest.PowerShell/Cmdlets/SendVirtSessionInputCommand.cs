using System.Management.Automation;
using VirtTest.Core.Session;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Send-VirtSessionInput</c>: sends text (by default a line) to a session's interactive stream.</summary>
[Cmdlet(VerbsCommunications.Send, "VirtSessionInput", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = "Text")]
[OutputType(typeof(void))]
public sealed class SendVirtSessionInputCommand : VirtCmdlet
{
    /// <summary>The session to write to.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public GuestSession? Session { get; set; }

    /// <summary>The text to send; each string is sent as one line unless -NoNewline.</summary>
    [Parameter(ParameterSetName = "Text", Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [AllowEmptyString]
    public string[] InputObject { get; set; } = Array.Empty<string>();

    /// <summary>Send the text as is, without a newline.</summary>
    [Parameter(ParameterSetName = "Text")]
    public SwitchParameter NoNewline { get; set; }

    /// <summary>Send Ctrl+C (interrupt) instead of text.</summary>
    [Parameter(ParameterSetName = "Interrupt", Mandatory = true)]
    public SwitchParameter Interrupt { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var session = Session!;
        if (Interrupt.IsPresent)
        {
            if (ShouldProcess(session.Name, "Send Ctrl+C")) TryAwait(session, ct => session.SendAsync("\u0003", ct));
            return;
        }
        foreach (var text in InputObject)
        {
            if (!ShouldProcess(session.Name, "Send input")) continue;
            TryAwait(session, ct => NoNewline.IsPresent ? session.SendAsync(text, ct) : session.SendLineAsync(text, ct));
        }
    }
}
