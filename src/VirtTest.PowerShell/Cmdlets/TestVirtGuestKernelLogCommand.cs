using System.Management.Automation;
using System.Text.RegularExpressions;
using VirtTest.Core.Session;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Test-VirtGuestKernelLog</c>: checks a guest's kernel log (dmesg) for messages at or above a
/// level (the reference's <c>verify_dmesg</c>). Writes $true when there are none; otherwise $false
/// and a <c>GuestKernelLogMessages</c> error listing them (so <c>-ErrorAction Stop</c>, as in the
/// runner, fails the test with them), or with <c>-PassThru</c> the check itself.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "VirtGuestKernelLog")]
[OutputType(typeof(bool), typeof(KernelLogCheck))]
public sealed class TestVirtGuestKernelLogCommand : VirtCmdlet
{
    /// <summary>The session whose guest is checked.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public GuestSession? Session { get; set; }

    /// <summary>The least severe level that counts (default Err: emerg, alert, crit and err).</summary>
    [Parameter(Position = 1)]
    public KernelLogLevel Level { get; set; } = KernelLogLevel.Err;

    /// <summary>Regular expressions of messages that do not count (known, harmless ones).</summary>
    [Parameter]
    [ValidateNotNull]
    public string[] Ignore { get; set; } = Array.Empty<string>();

    /// <summary>Clears the log right after reading it, so the next check sees only newer messages.</summary>
    [Parameter]
    public SwitchParameter Clear { get; set; }

    /// <summary>Writes the check (level, messages) instead of $true/$false, and no error.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Deadline for reading the log (default 60 s).</summary>
    [Parameter]
    [ValidateRange(0.1, 3600)]
    public double TimeoutSec { get; set; } = 60;

    private List<Regex> _ignore = new();

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        try
        {
            _ignore = Ignore.Select(p => new Regex(p, RegexOptions.CultureInvariant)).ToList();
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(new ErrorRecord(new PSArgumentException($"-Ignore has a pattern that is no regular expression: {ex.Message}", ex),
                "VirtTest.InvalidArgument", ErrorCategory.InvalidArgument, Ignore));
        }
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var session = Session!;
        KernelLogCheck? check = null;
        if (!TryAwait(session, async ct => check = await GuestKernelLog.CheckAsync(session, Level, _ignore, Clear.IsPresent, TimeSpan.FromSeconds(TimeoutSec), ct).ConfigureAwait(false)))
            return;
        if (PassThru.IsPresent)
        {
            WriteObject(check);
            return;
        }
        WriteObject(check!.Passed);
        if (!check.Passed) WriteError(ErrorRecords.FromException(new GuestKernelLogException(check), session));
    }
}
