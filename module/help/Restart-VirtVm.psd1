# Help source for Restart-VirtVm (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every VM an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Reboots the guest of VMs, from inside or by a system reset, and waits until it is back.'

    Description = @(
        'Restart-VirtVm is the reboot of test code. With -Method Guest (the default) it types the reboot command (the VM''s reboot_command param, else reboot) in a guest shell: the first open session of -Session, or a serial login made for it. With -Method Reset the hypervisor resets the VM (the Reset capability; a NotSupportedByBackend error where the backend has none).'
        'It notes how long the console log is before the reboot and returns once the guest prints its ready pattern (the ready_pattern param, else a "host login:" prompt) after that point, which only the new boot prints (for the Debian guest: Restart-VirtVm -Vm $vm -Session $shell, then Wait-VirtLogin again). The sessions given with -Session are closed (their shells ended with the old boot): log in again afterwards. The deadline is -TimeoutSec, else the VM''s login_timeout param.'
    )

    Parameters  = @{
        Vm         = 'Specifies the VMs, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name       = 'Specifies the VMs by name (wildcards allowed).'
        Method     = 'Specifies how to reboot: Guest (the reboot command in a guest shell, the default) or Reset (the hypervisor''s system reset).'
        Session    = 'Specifies the VM''s open sessions. They are closed by the restart; with -Method Guest the first one types the reboot command.'
        TimeoutSec = 'Specifies the deadline for the whole restart in seconds. The default is the VM''s login_timeout param.'
        PassThru   = 'Writes each VM once its guest is back.'
        WhatIf     = 'Shows which VMs would be restarted without restarting them.'
        Confirm    = 'Asks for confirmation before restarting each VM.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'With -PassThru: each VM once its guest is back.' }
    )

    Notes       = @(
        'A guest that powers itself off instead becomes Stopped (see Wait-VirtVmState).'
    )

    Examples    = @(
        @{
            Title   = 'Reset the test guest and use it again'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name resetme
$vm | Start-VirtVm -Wait -TimeoutSec 60
$vm | Restart-VirtVm -Method Reset -TimeoutSec 60 -PassThru | Select-Object Name, State
$shell = Wait-VirtLogin -Vm $vm
(Invoke-VirtSessionCommand -Session $shell -Command 'cat /proc/uptime').Output
Disconnect-VirtSession -Session $shell
Remove-VirtVm $vm
'@
            Remarks = 'The guest is reset, boots again and prints its ready line; the uptime shows a fresh boot.'
        }
    )

    RelatedLinks = @('Start-VirtVm', 'Stop-VirtVm', 'Wait-VirtLogin', 'Wait-VirtVmState')
}
