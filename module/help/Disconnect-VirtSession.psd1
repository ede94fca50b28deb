# Help source for Disconnect-VirtSession (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every VM an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Closes guest sessions; the guests keep running.'

    Description = @(
        'Disconnect-VirtSession closes sessions opened by Connect-VirtSession or Wait-VirtLogin: a serial session releases the VM''s console socket, an SSH session closes its connection and channels. The guest is not logged out and keeps running. A closed session''s IsOpen is False, and using it again is a VirtTest.SessionClosed error.'
        'Closing a session that is already closed does nothing. Remove-VirtVm closes the sessions of the VMs it removes, so tests need not close sessions of VMs they remove.'
    )

    Parameters  = @{
        Session = 'Specifies the sessions to close, from Connect-VirtSession or Wait-VirtLogin. Accepts sessions from the pipeline.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Session.GuestSession'; Description = 'Sessions from Connect-VirtSession or Wait-VirtLogin.' }
    )

    Outputs     = @(
        @{ Type = 'None'; Description = 'Disconnect-VirtSession writes nothing.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Close two sessions of a VM'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name disc1
Start-VirtVm $vm -Wait
$serial = Connect-VirtSession $vm -Transport Serial
$ssh = Connect-VirtSession $vm -Transport Ssh
$serial, $ssh | Disconnect-VirtSession
$serial.IsOpen, $ssh.IsOpen
Remove-VirtVm $vm
'@
            Remarks = 'Opens a serial and an SSH session and closes both; IsOpen is False for both afterwards, while the VM still runs until Remove-VirtVm.'
        }
    )

    RelatedLinks = @('Connect-VirtSession', 'Wait-VirtLogin', 'Remove-VirtVm', 'about_VirtTest')
}
