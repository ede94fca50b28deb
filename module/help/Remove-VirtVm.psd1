# Help source for Remove-VirtVm (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Removes virtual machines from the session, killing them if they still run.'

    Description = @(
        'Remove-VirtVm ends each VM at once if it still runs (as Stop-VirtVm -Force does), releases everything it used on the host (process, sockets, runtime directory) and removes it from the VMs of the session, so Get-VirtVm no longer lists it and its name can be used again.'
        'Use it at the end of every test, also when the test failed (for example in a Pester AfterAll block): Get-VirtVm | Remove-VirtVm cleans up all VMs of the session. Removing a VM that is not running is fine.'
    )

    Parameters  = @{
        Vm   = 'Specifies the VMs to remove, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name = 'Specifies the VMs to remove by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
        @{ Type = 'System.String'; Description = 'VM names, from the Name or VmName property of piped objects.' }
    )

    Outputs     = @(
        @{ Type = 'None'; Description = 'Remove-VirtVm writes nothing.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Remove a running VM'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name temp
Start-VirtVm $vm
Remove-VirtVm $vm
Get-VirtVm -Name temp* | Measure-Object | Select-Object Count
'@
            Remarks = 'Kills the VM and removes it from the session; Get-VirtVm no longer finds it.'
        }
        @{
            Title   = 'Clean up every VM of the session'
            Code    = @'
$null = New-VirtVm -TestGuest -Name left1
$null = New-VirtVm -TestGuest -Name left2
Get-VirtVm | Remove-VirtVm
'@
            Remarks = 'Removes all VMs of the session, whatever their state: the usual last step of a test run.'
        }
    )

    RelatedLinks = @('New-VirtVm', 'Stop-VirtVm', 'Get-VirtVm', 'about_VirtTest')
}
