# Help source for Send-VirtSessionInput (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every VM an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Types text or Ctrl+C into a guest session''s interactive console.'

    Description = @(
        'Send-VirtSessionInput writes text to the interactive stream of a session: the serial console for a SerialSession, the interactive shell (with a pseudo-terminal, opened on first use) for an SshSession. Each string is sent as one line, followed by a newline, unless -NoNewline is given. -Interrupt sends Ctrl+C instead, to stop what runs in the foreground.'
        'Nothing is waited for: use Wait-VirtSessionOutput to read what the guest answers. A session that is closed, or whose connection was lost, gives a VirtTest.SessionClosed error.'
    )

    Parameters  = @{
        Session     = 'Specifies the session to write to, from Connect-VirtSession or Wait-VirtLogin.'
        InputObject = 'Specifies the text to send; each string is one line. Accepts strings from the pipeline. An empty string sends only a newline (Enter).'
        NoNewline   = 'Sends the text as it is, without a newline after each string.'
        Interrupt   = 'Sends Ctrl+C (the character 0x03) instead of text, as a user pressing Ctrl+C on the guest''s terminal, to stop the program in the foreground.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Lines to send.' }
    )

    Outputs     = @(
        @{ Type = 'None'; Description = 'Send-VirtSessionInput writes nothing.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Interrupt a program that does not end'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name input1
Start-VirtVm $vm -Wait
$s = Connect-VirtSession $vm
Send-VirtSessionInput $s 'echo "$((6 * 7)) started"; sleep 1000'
$null = Wait-VirtSessionOutput $s '^42 started$'
Start-Sleep -Milliseconds 300
Send-VirtSessionInput $s -Interrupt
Send-VirtSessionInput $s 'echo "back: $?"'
(Wait-VirtSessionOutput $s '^back: (\d+)$' -TimeoutSec 10).Groups[0]
Remove-VirtVm $vm
'@
            Remarks = 'Starts a long sleep on the serial console, waits until the command runs (its first part prints a line), ends it with Ctrl+C and shows the exit status the shell reports for it (130: ended by SIGINT). Ctrl+C sent before the shell has started the command would only cancel the input line.'
        }
        @{
            Title   = 'Send several lines, and text without a newline'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name input2
Start-VirtVm $vm -Wait
$s = Connect-VirtSession $vm
'a=1', 'b=2' | Send-VirtSessionInput -Session $s
Send-VirtSessionInput $s 'echo "sum=$((a' -NoNewline
Send-VirtSessionInput $s '+b))"'
(Wait-VirtSessionOutput $s '^sum=(\d+)$').Groups[0]
Remove-VirtVm $vm
'@
            Remarks = 'Two lines from the pipeline set shell variables; the next command line is typed in two pieces, the first without a newline. The output is sum=3.'
        }
    )

    RelatedLinks = @('Wait-VirtSessionOutput', 'Invoke-VirtSessionCommand', 'Connect-VirtSession', 'about_VirtTest')
}
