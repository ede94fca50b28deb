# Help source for Invoke-VirtSessionCommand (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every VM an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Runs a shell command in a guest session and returns its exit code and output.'

    Description = @(
        'Invoke-VirtSessionCommand runs one shell command line in the guest through a session from Connect-VirtSession or Wait-VirtLogin, waits until it ends and writes a CommandResult: the Command, its ExitCode, its Output (standard output and standard error together, as a terminal shows them, cleaned of escape sequences and carriage returns), the Duration and Succeeded (exit code 0).'
        'A non-zero exit code is also written as a non-terminating error with the id VirtTest.ShellCommand whose message gives the command, the exit code and the output, so -ErrorAction Stop (or $ErrorActionPreference = ''Stop'') turns a failing command into a terminating error. -IgnoreExitCode leaves the error out; the result is written in both cases.'
        'A command still running after -TimeoutSec is ended (Ctrl+C on a serial console; on SSH the command is killed) and the cmdlet writes a VirtTest.SessionTimeout error (category OperationTimeout) with the output received so far instead of a result. The session stays usable: on SSH the next command starts once the killed one has ended. A session that is closed or whose connection was lost (for example because the VM died) gives a VirtTest.SessionClosed error (category ConnectionError).'
        'On a serial session the command must be a single line; commands run one at a time in the console''s shell, so a command that changes the shell (cd, export) affects the next ones, and exit would end the console''s shell (write (exit 3) to get an exit code of 3). On an SSH session every command runs in a new shell on a channel of its own.'
    )

    Parameters  = @{
        Session        = 'Specifies the session to run the command in, from Connect-VirtSession or Wait-VirtLogin. Accepts sessions from the pipeline.'
        Command        = 'Specifies the shell command line to run, as the guest''s shell (for example busybox sh) reads it: pipes, redirections and ; and && work.'
        TimeoutSec     = 'Specifies how long, in seconds, the command may run (default 60). A command still running then is interrupted and reported as a VirtTest.SessionTimeout error.'
        IgnoreExitCode = 'Does not write a VirtTest.ShellCommand error for a non-zero exit code. Check the ExitCode or Succeeded property of the result instead.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Session.GuestSession'; Description = 'Sessions from Connect-VirtSession or Wait-VirtLogin.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Session.CommandResult'; Description = 'Command, ExitCode, Output, Duration and Succeeded of the command. Converted to a string (for example in "$result"), a CommandResult is its Output.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Run commands and check their exit codes'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name cmd1
Start-VirtVm $vm -Wait
$s = Connect-VirtSession $vm
Invoke-VirtSessionCommand $s 'cat /proc/cmdline'
$r = Invoke-VirtSessionCommand $s 'test -d /no/such/dir' -IgnoreExitCode
"exit code $($r.ExitCode), succeeded: $($r.Succeeded)"
Remove-VirtVm $vm
'@
            Remarks = 'The first command succeeds and shows its output. The second one fails with exit code 1; with -IgnoreExitCode that is not an error, only a result whose Succeeded is False. Remove-VirtVm closes the session with the VM.'
        }
        @{
            Title   = 'A failing command stops the test, and a hanging one times out'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name cmd2
Start-VirtVm $vm
$ssh = Wait-VirtLogin $vm -Transport Ssh
try {
    Invoke-VirtSessionCommand $ssh 'ls /no/such/file' -ErrorAction Stop
}
catch {
    "failed: $($_.FullyQualifiedErrorId)"
}
Invoke-VirtSessionCommand $ssh 'sleep 100' -TimeoutSec 2 -ErrorAction SilentlyContinue -ErrorVariable hung
"timed out: $($hung[0].FullyQualifiedErrorId)"
(Invoke-VirtSessionCommand $ssh 'echo still usable').Output
Remove-VirtVm $vm
'@
            Remarks = 'With -ErrorAction Stop, the non-zero exit code of ls becomes an exception (VirtTest.ShellCommand). The sleep is ended after two seconds with a VirtTest.SessionTimeout error, and the session runs the next command as usual.'
        }
    )

    RelatedLinks = @('Connect-VirtSession', 'Wait-VirtLogin', 'Send-VirtSessionInput', 'Wait-VirtSessionOutput', 'Disconnect-VirtSession', 'about_VirtTest')
}
