# Help source for Get-VirtSession (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Gets the open guest sessions of this PowerShell session.'

    Description = @(
        'Get-VirtSession writes the guest sessions (serial console or SSH) that Connect-VirtSession and Wait-VirtLogin opened in this PowerShell session (runspace) and that are still open, oldest first. Disconnect-VirtSession and Remove-VirtVm (for the sessions to that VM) close them; a runspace that closes, or Remove-Module VirtTest, closes the sessions it opened.'
        'Inside a test script run by Invoke-VirtTestRun, the session the runner logged in for the test ($Session) is listed too.'
        'Session names complete with Tab. A name without wildcards that matches no session is a non-terminating error with the id VirtTest.SessionNotFound (category ObjectNotFound).'
    )

    Parameters  = @{
        Name = 'Specifies the names of the sessions to get (for example ''vm1 serial''); wildcards are allowed and case is ignored. All sessions when omitted.'
        Vm   = 'Gets only the sessions to these VMs. Takes VM objects from the pipeline, or VM names.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs whose sessions to get.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Session.GuestSession'; Description = 'The open sessions (SerialSession or SshSession), oldest first.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'List the sessions to a VM'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name gs1
Start-VirtVm $vm -Wait
$null = Connect-VirtSession -Vm $vm -Transport Serial
$null = Connect-VirtSession -Vm gs1 -Transport Ssh
$vm | Get-VirtSession
Get-VirtSession -Name 'gs1 s*' | Disconnect-VirtSession
Remove-VirtVm $vm
'@
            Remarks = 'Opens a serial and an SSH session (the second by the VM''s name), lists both, then closes them by name pattern and removes the VM.'
        }
    )

    RelatedLinks = @('Connect-VirtSession', 'Disconnect-VirtSession', 'Get-VirtVm', 'about_VirtTest')
}
