# Help source for Connect-VirtSession (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every VM an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Opens a logged-in shell session on the guest of a running VM (serial console, SSH or the remote shell agent), or on a host by address.'

    Description = @(
        'Connect-VirtSession logs in to the guest of a running VM and writes the session to the pipeline: a SerialSession for the serial console, an SshSession for SSH, a RemoteShellSession for the remote shell agent of Windows guests (-Transport Rss). Use the session with Invoke-VirtSessionCommand (commands with exit status and output), Send-VirtSessionInput and Wait-VirtSessionOutput (interactive, expect-style use) and, for SSH and remote shell sessions, Copy-VirtGuestItem (files). Close it with Disconnect-VirtSession; Remove-VirtVm closes every session of the VM it removes.'
        'Serial sessions connect to the VM''s console socket and answer the guest''s login: and Password: prompts until its shell prompt (the shell_prompt param) shows; a guest that gives a shell without a login needs no credentials. SSH sessions connect to the host side of the port forward to the guest''s shell_port (22 by default; the test guest''s VMs have one) under user-mode networking, and otherwise to the guest''s own address on shell_port: the first address of its NICs (in nics order) this host can reach, from its test network''s DHCP leases or the hypervisor (Get-VirtVmAddress), waited for until -TimeoutSec. Authentication is by password (or ssh_key). An SSH host key that does not match the known_hosts_file param is a VirtTest.SshHostKey error.'
        'Remote shell (Rss) sessions connect to the host side of the port forward to the guest''s shell_port (default 10022), or to -Address and -Port. The agent (rss.exe) says Please wait..., starts cmd.exe in C:\ and relays its output; there is no login, so -Credential is not used. The session waits for the prompt and retries while the port refuses or the connection closes first (the agent starts late in a Windows boot). Commands are framed for the shell''s dialect (-ShellDialect): for cmd, the exit status is the %errorlevel% after the command (set to 0 before it, so commands that do not set it report 0), and a command past its deadline gets Ctrl+C, after which the session waits until the shell reads again.'
        'Until -TimeoutSec (default 30 seconds) runs out, Connect-VirtSession keeps trying while the guest is not ready (SSH server not up yet, console not answering), showing progress. Wait-VirtLogin logs in the same way but waits as long as the VM''s login_timeout param (else 60 seconds) by default: use it right after Start-VirtVm, while the guest still boots. A refused login is not retried: it is a VirtTest.SessionAuthentication error (category AuthenticationError) at once. A deadline that passes is a VirtTest.SessionTimeout error, and a VM that is not running a VirtTest.VmState error. The password is sent to the guest only: it appears in no error message, verbose output or log.'
    )

    Parameters  = @{
        Vm         = 'Specifies the running VM whose guest to log in to, as an object from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline; one session is written per VM.'
        Address      = 'Specifies a host name or IP address to connect to without a VM object: any host running SSH or the remote shell agent of Windows guests (rss.exe). Use it with -Transport Ssh or Rss and, when the port is not the default, -Port.'
        Port         = 'Specifies the TCP port at -Address. The default is 22 for -Transport Ssh and 10022 (the agent''s shell port) for -Transport Rss.'
        ShellDialect = 'Specifies the kind of shell: posix (sh, bash, busybox ash: lines end with LF, exit status from $?) or cmd (Windows'' cmd.exe: lines end with CR, exit status from %errorlevel%). It decides how commands are framed and, when the params give no shell_prompt, the prompt pattern (cmd: ^\w:\\.*>\s*$). The default comes from the VM''s shell_dialect param, else its os_type (windows means cmd); at an -Address it is cmd for Rss and posix for Ssh.'
        Transport  = 'Specifies how to reach the guest: Serial (its serial console), Ssh (SSH through the VM''s port forward, or to the guest''s address when no port is forwarded) or Rss (a plain TCP connection to a shell: the remote shell agent of Windows guests on guest port 10022, or any shell behind a TCP socket). The default comes from the VM''s shell_client param (ssh means Ssh, nc or rss mean Rss), else Serial. With -Address, -Transport is required (Ssh or Rss).'
        Credential = 'Specifies the user name and password to log in with, as a PSCredential (or a user name, for which PowerShell asks the password). The default is the VM''s username and password params; for the test guest, root and the password of its manifest (.build/guest/guest.json).'
        TimeoutSec = 'Specifies how long, in seconds, to keep trying to log in. The default is 30.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Session.GuestSession'; Description = 'A VirtTest.Core.Session.SerialSession, VirtTest.Core.Session.SshSession or VirtTest.Core.Session.RemoteShellSession, logged in and ready for commands. Its Name says the VM and the transport (for example "vm1 serial", "vm1 ssh root@127.0.0.1:40022" or "rss 192.0.2.7:10022"); Dialect says the kind of shell; IsOpen says whether it can still be used.' }
    )

    Notes       = @(
        'A VM''s serial console takes one session at a time: while a serial session to a VM is open, another Connect-VirtSession -Transport Serial to it waits until -TimeoutSec and fails with VirtTest.SessionTimeout. Close the first with Disconnect-VirtSession, or use SSH, which takes any number of sessions and gives every command a channel of its own.'
    )

    Examples    = @(
        @{
            Title   = 'Log in over the serial console and run a command'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name con1
Start-VirtVm $vm -Wait
$s = Connect-VirtSession -Vm $vm
Invoke-VirtSessionCommand -Session $s -Command 'uname -a'
Disconnect-VirtSession $s
Remove-VirtVm $vm
'@
            Remarks = 'Boots the test guest, opens a session on its serial console (the default transport of the test guest), runs uname and closes the session and the VM.'
        }
        @{
            Title   = 'Log in over SSH with explicit credentials'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name con2
Start-VirtVm $vm
$password = ConvertTo-SecureString $vm.Params['password'] -AsPlainText -Force
$cred = [pscredential]::new('root', $password)
$ssh = Connect-VirtSession -Vm $vm -Transport Ssh -Credential $cred -TimeoutSec 60
$ssh | Format-Table
(Invoke-VirtSessionCommand $ssh 'id -un').Output
Remove-VirtVm $vm
'@
            Remarks = 'Starts the VM without waiting: Connect-VirtSession retries until the guest''s SSH server answers (-TimeoutSec 60 leaves time for the boot). Remove-VirtVm closes the session together with the VM. The credential is built from the test guest''s password, a published test credential kept in its params; in real tests, get credentials from a secret store.'
        }
        @{
            Title   = 'Connect to a shell behind a TCP port by address'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name con3 -Property @{ redirs = 'remote_shell tcp_shell'; guest_port_tcp_shell = 10022 }
Start-VirtVm $vm -Wait
$serial = Connect-VirtSession -Vm $vm
$null = Invoke-VirtSessionCommand $serial "setsid nc -ll -p 10022 -e /bin/sh -c 'exec /bin/sh -i 2>&1' >/dev/null 2>&1 &"
$endpoint = $vm.GetGuestPortEndpoint(10022)
$tcp = Connect-VirtSession -Address $endpoint.Item1 -Port $endpoint.Item2 -Transport Rss -ShellDialect posix
$tcp | Format-Table
(Invoke-VirtSessionCommand $tcp 'echo over TCP; uname -s').Output
Remove-VirtVm $vm
'@
            Remarks = 'The test guest has no Windows agent, so it serves a shell on guest port 10022 with busybox nc instead (started over the serial console), and the VM forwards a host port to it. Connect-VirtSession -Address then connects as it would to the agent of a Windows guest, here with the posix dialect (a Windows guest''s cmd.exe is the default for Rss).'
        }
    )

    RelatedLinks = @('Wait-VirtLogin', 'Invoke-VirtSessionCommand', 'Send-VirtSessionInput', 'Wait-VirtSessionOutput', 'Copy-VirtGuestItem', 'Disconnect-VirtSession', 'New-VirtVm', 'about_VirtTest')
}
