using System.Management.Automation;
using VirtTest.Core.Session;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Invoke-VirtSessionCommand</c>: runs a shell command in a guest session and returns its
/// output and exit code. A non-zero exit code is also a non-terminating error (so
/// <c>-ErrorAction Stop</c> makes it a test failure) unless <c>-IgnoreExitCode</c>.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "VirtSessionCommand")]
[OutputType(typeof(CommandResult))]
public sealed class InvokeVirtSessionCommandCommand : VirtCmdlet
{
    /// <summary>The session to run the command in.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public GuestSession? Session { get; set; }

    /// <summary>The shell command line.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Command { get; set; } = "";

    /// <summary>Deadline for the whole command (default 60 s); on expiry the command is interrupted.</summary>
    [Parameter]
    [ValidateRange(0.1, 86400)]
    public double TimeoutSec { get; set; } = 60;

    /// <summary>Do not report a non-zero exit code as an error.</summary>
    [Parameter]
    public SwitchParameter IgnoreExitCode { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var session = Session!;
        WriteVerbose($"{session.Name}: {Command}");
        CommandResult? result = null;
        if (!TryAwait(session, async ct => result = await session.CmdStatusOutputAsync(Command, TimeSpan.FromSeconds(TimeoutSec), ct).ConfigureAwait(false)))
            return;
        WriteObject(result);
        if (result!.ExitCode != 0 && !IgnoreExitCode.IsPresent)
        {
            WriteError(ErrorRecords.FromException(new ShellCommandError(session.Name, Command, result.ExitCode, result.Output), session));
        }
    }
}
