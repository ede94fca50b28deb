# Help source for Wait-VirtSessionOutput (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every VM an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Waits until a guest session''s output matches a regular expression (expect).'

    Description = @(
        'Wait-VirtSessionOutput reads the interactive output of a session (what the guest''s console or the SSH session''s interactive shell prints) until a regular expression matches it, and writes an ExpectResult: the Match, its capture Groups and the text Before the match. Together with Send-VirtSessionInput it drives programs that ask questions, or waits for messages the guest prints on its own.'
        'Output is read from where the last wait (or command) stopped, so nothing printed since is missed; the text up to the end of the match is consumed. The text is cleaned of escape sequences and carriage returns before matching. On an SSH session the interactive shell opens on first use: commands of Invoke-VirtSessionCommand run elsewhere and do not show here.'
        'The guest echoes what Send-VirtSessionInput types, and the echo is output like any other: choose a pattern that the echo cannot match, or the wait may end too early (and input sent then may arrive while the shell is still reading the command line). A pattern anchored with ^ does not match the echo, which follows the shell prompt on its line; text that the command builds (echo "$((6 * 7))", a prompt from a variable) does not appear in the echo as it is printed.'
        'When the pattern does not match within -TimeoutSec, the cmdlet writes a VirtTest.SessionTimeout error (category OperationTimeout) whose message shows the last output received. A session that ends meanwhile gives a VirtTest.SessionClosed error. An invalid regular expression is a terminating VirtTest.InvalidPattern error. Press Ctrl+C to stop waiting.'
    )

    Parameters  = @{
        Session    = 'Specifies the session to read from, from Connect-VirtSession or Wait-VirtLogin. Accepts sessions from the pipeline.'
        Pattern    = 'Specifies the .NET regular expression to wait for. It is multiline: ^ and $ match at the start and end of every line. Use groups, such as ''ready: (\d+)'', to pick values out of the output (the Groups property of the result).'
        TimeoutSec = 'Specifies how long, in seconds, to wait in all (default 30); the deadline is not reset by output that does not match.'
        LastLine   = 'Matches only on the last line of the output, and only when the match reaches its end: the way a prompt shows while the program waits for input (for example -Pattern ''Continue\? $'').'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Session.GuestSession'; Description = 'Sessions from Connect-VirtSession or Wait-VirtLogin.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Session.ExpectResult'; Description = 'Match (the matched text), Groups (the values of the capture groups, in order) and Before (the output between the previous read and the match).' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Send a line and wait for its answer'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name expect1
Start-VirtVm $vm -Wait
$s = Connect-VirtSession $vm
Send-VirtSessionInput $s 'echo "answer: $((6 * 7))"'
$r = Wait-VirtSessionOutput $s '^answer: (\d+)$' -TimeoutSec 10
$r.Groups[0]
Remove-VirtVm $vm
'@
            Remarks = 'Types a command on the serial console and waits for the line it prints. The pattern starts with ^, so the echo of the typed command does not match; the first group is 42.'
        }
        @{
            Title   = 'Wait for a prompt'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name expect2
Start-VirtVm $vm -Wait
$s = Connect-VirtSession $vm
Send-VirtSessionInput $s 'q="Your name"; read -p "$q? " n; echo "hello $n"'
$null = Wait-VirtSessionOutput $s 'Your name\? $' -LastLine
Send-VirtSessionInput $s 'world'
(Wait-VirtSessionOutput $s '^hello (\w+)$').Groups[0]
Remove-VirtVm $vm
'@
            Remarks = 'The shell''s read asks a question and waits; -LastLine matches the question only as the last, unfinished line. Then the answer is sent and the greeting awaited. The question is put together by the shell ($q), so that the echo of the typed command line, which is output too, cannot match the pattern before read has asked.'
        }
    )

    RelatedLinks = @('Send-VirtSessionInput', 'Invoke-VirtSessionCommand', 'Connect-VirtSession', 'about_VirtTest')
}
