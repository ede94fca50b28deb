using System.Management.Automation;
using System.Text.RegularExpressions;
using VirtTest.Core.Session;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Wait-VirtSessionOutput</c>: waits until the session's output matches a pattern (expect).</summary>
[Cmdlet(VerbsLifecycle.Wait, "VirtSessionOutput")]
[OutputType(typeof(ExpectResult))]
public sealed class WaitVirtSessionOutputCommand : VirtCmdlet
{
    /// <summary>The session to read from.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public GuestSession? Session { get; set; }

    /// <summary>Regular expression to wait for (multiline: ^ and $ match at line breaks).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Pattern { get; set; } = "";

    /// <summary>Overall deadline (not reset by each byte received).</summary>
    [Parameter]
    [ValidateRange(0.1, 86400)]
    public double TimeoutSec { get; set; } = 30;

    /// <summary>Wait for the pattern on the last line only (a prompt), as the shell shows it while it waits for input.</summary>
    [Parameter]
    public SwitchParameter LastLine { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var session = Session!;
        Regex regex;
        try
        {
            regex = new Regex(Pattern, RegexOptions.Multiline);
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(ex, "VirtTest.InvalidPattern", ErrorCategory.InvalidArgument, Pattern));
            return;
        }
        ExpectResult? result = null;
        var timeout = TimeSpan.FromSeconds(TimeoutSec);
        if (TryAwait(session, async ct => result = LastLine.IsPresent
                ? await session.ReadUntilPromptAsync(timeout, regex, ct).ConfigureAwait(false)
                : await session.ReadUntilAsync(regex, timeout, ct).ConfigureAwait(false)))
        {
            WriteObject(result);
        }
    }
}
