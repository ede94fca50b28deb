# Help source for Wait-VirtLogin (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every VM an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Waits until the guest of a VM lets you log in, and returns the logged-in session.'

    Description = @(
        'Wait-VirtLogin is the wait_for_login of test code: right after Start-VirtVm, while the guest still boots, it keeps trying to log in over the serial console, SSH or the remote shell agent of Windows guests (Rss, which starts late in a Windows boot) until the login succeeds or -TimeoutSec runs out, and writes the session (a SerialSession, SshSession or RemoteShellSession) to the pipeline. It shows a progress bar while it waits.'
        'It logs in exactly as Connect-VirtSession does, with the same parameters and defaults from the VM''s params (shell_client, shell_port, shell_dialect, os_type, username, password, shell_prompt), and the same -Address form for a host without a VM object; only its default deadline is longer: the login_timeout param, else 60 seconds, where Connect-VirtSession gives up after 30. A refused login is not retried: it is a VirtTest.SessionAuthentication error (category AuthenticationError) at once. A deadline that passes is a VirtTest.SessionTimeout error. The password appears in no error message, progress or verbose output.'
    )

    Parameters  = @{
        Vm         = 'Specifies the VM whose guest to log in to, as an object from New-VirtVm or Get-VirtVm. The VM must have been started. Accepts VMs from the pipeline; one session is written per VM.'
        Address      = 'Specifies a host name or IP address to connect to without a VM object: any host running SSH or the remote shell agent of Windows guests (rss.exe). Use it with -Transport Ssh or Rss and, when the port is not the default, -Port.'
        Port         = 'Specifies the TCP port at -Address. The default is 22 for -Transport Ssh and 10022 (the agent''s shell port) for -Transport Rss.'
        ShellDialect = 'Specifies the kind of shell: posix (sh, bash, busybox ash: lines end with LF, exit status from $?) or cmd (Windows'' cmd.exe: lines end with CR, exit status from %errorlevel%). It decides how commands are framed and, when the params give no shell_prompt, the prompt pattern (cmd: ^\w:\\.*>\s*$). The default comes from the VM''s shell_dialect param, else its os_type (windows means cmd); at an -Address it is cmd for Rss and posix for Ssh.'
        Transport  = 'Specifies how to reach the guest: Serial (its serial console), Ssh (SSH through the VM''s port forward, or to the guest''s address when no port is forwarded) or Rss (a plain TCP connection to a shell: the remote shell agent of Windows guests on guest port 10022, or any shell behind a TCP socket). The default comes from the VM''s shell_client param (ssh means Ssh, nc or rss mean Rss), else Serial. With -Address, -Transport is required (Ssh or Rss).'
        Credential = 'Specifies the user name and password to log in with, as a PSCredential. The default is the VM''s username and password params; for the test guest, root and the password of its manifest (.build/guest/guest.json).'
        TimeoutSec = 'Specifies how long, in seconds, to wait for a successful login. The default is the VM''s login_timeout param, else 60.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Session.GuestSession'; Description = 'A logged-in VirtTest.Core.Session.SerialSession, VirtTest.Core.Session.SshSession or VirtTest.Core.Session.RemoteShellSession.' }
    )

    Notes       = @(
        'Press Ctrl+C to stop waiting.'
    )

    Examples    = @(
        @{
            Title   = 'Start a VM and wait for its login prompt'
            Code    = @'
$vm = New-VirtVm -TestGuest -LoginPrompt -Name login1
Start-VirtVm $vm
$s = Wait-VirtLogin -Vm $vm -TimeoutSec 60
(Invoke-VirtSessionCommand $s 'whoami').Output
Disconnect-VirtSession $s
Remove-VirtVm $vm
'@
            Remarks = 'With -LoginPrompt the test guest''s serial console asks for a user name and password. Wait-VirtLogin waits for the boot, answers the prompts with the VM''s username and password params (for the test guest, root and the password of its manifest) and returns the session once the shell prompt shows.'
        }
        @{
            Title   = 'Wait for SSH'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name login2
$vm | Start-VirtVm
$ssh = $vm | Wait-VirtLogin -Transport Ssh
$ssh.HostKeyFingerprint
Remove-VirtVm $vm
'@
            Remarks = 'Waits until the guest''s SSH server accepts the login and shows the host key the session accepted. Remove-VirtVm also closes the session.'
        }
        @{
            Title   = 'Wait for a remote shell that starts late'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name login3 -Property @{ shell_client = 'nc'; shell_port = 10022; redirs = 'remote_shell tcp_shell'; guest_port_tcp_shell = 10022 }
Start-VirtVm $vm -Wait
$serial = Connect-VirtSession -Vm $vm -Transport Serial
$null = Invoke-VirtSessionCommand $serial "(sleep 3; setsid nc -ll -p 10022 -e /bin/sh -c 'exec /bin/sh -i 2>&1') >/dev/null 2>&1 &"
$shell = Wait-VirtLogin -Vm $vm -TimeoutSec 60
$shell.Transport
(Invoke-VirtSessionCommand $shell 'echo $((6 * 7))').Output
Remove-VirtVm $vm
'@
            Remarks = 'shell_client = nc makes Rss the VM''s transport, as in the reference configs of Windows guests, whose agent (rss.exe) starts late in the boot. The test guest has no agent: busybox nc serves a shell on guest port 10022 after 3 seconds, and Wait-VirtLogin keeps trying until it answers with the prompt. With os_type = windows the dialect would be cmd.'
        }
    )

    RelatedLinks = @('Connect-VirtSession', 'Start-VirtVm', 'Invoke-VirtSessionCommand', 'Disconnect-VirtSession', 'about_VirtTest')
}
