# Help source for Wait-VirtLogin (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every VM an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Waits until the guest of a VM lets you log in, and returns the logged-in session.'

    Description = @(
        'Wait-VirtLogin is the wait_for_login of test code: right after Start-VirtVm, while the guest still boots, it keeps trying to log in over the serial console or SSH until the login succeeds or -TimeoutSec runs out, and writes the session (a SerialSession or SshSession) to the pipeline. It shows a progress bar while it waits.'
        'It logs in exactly as Connect-VirtSession does, with the same parameters and defaults from the VM''s params (shell_client, username, password, shell_prompt); only its default deadline is longer: the login_timeout param, else 60 seconds, where Connect-VirtSession gives up after 30. A refused login is not retried: it is a VirtTest.SessionAuthentication error (category AuthenticationError) at once. A deadline that passes is a VirtTest.SessionTimeout error. The password appears in no error message, progress or verbose output.'
    )

    Parameters  = @{
        Vm         = 'Specifies the VM whose guest to log in to, as an object from New-VirtVm or Get-VirtVm. The VM must have been started. Accepts VMs from the pipeline; one session is written per VM.'
        Transport  = 'Specifies how to reach the guest: Serial (its serial console) or Ssh (SSH through the VM''s port forward, or to the guest''s address when no port is forwarded). The default comes from the VM''s shell_client param (ssh means Ssh), else Serial.'
        Credential = 'Specifies the user name and password to log in with, as a PSCredential. The default is the VM''s username and password params; for the test guest, root and the password of its manifest (.build/guest/guest.json).'
        TimeoutSec = 'Specifies how long, in seconds, to wait for a successful login. The default is the VM''s login_timeout param, else 60.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Session.GuestSession'; Description = 'A logged-in VirtTest.Core.Session.SerialSession or VirtTest.Core.Session.SshSession.' }
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
    )

    RelatedLinks = @('Connect-VirtSession', 'Start-VirtVm', 'Invoke-VirtSessionCommand', 'Disconnect-VirtSession', 'about_VirtTest')
}
