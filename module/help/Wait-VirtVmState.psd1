# Help source for Wait-VirtVmState (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every VM an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Waits until VMs reach a state, such as Stopped after the guest powered itself off.'

    Description = @(
        'Wait-VirtVmState asks the hypervisor for the state of each VM every 200 ms until it is one of -State. A guest that powers itself off (poweroff inside it) makes its VM Stopped: the hypervisor instance ended and the VM''s runtime directory was removed, as after Stop-VirtVm; its DeathReason says the guest powered off. A VM that crashes or is killed from outside becomes Dead instead.'
        'A VM that is already Stopped, Dead or Created and not in -State cannot get there by itself: that is a VirtTest.VmState error at once. A deadline that passes is a VirtTest.Vm error naming the state reached.'
    )

    Parameters  = @{
        Vm         = 'Specifies the VMs, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name       = 'Specifies the VMs by name (wildcards allowed).'
        State      = 'Specifies the states to wait for: Running, Paused, Stopped, Dead (any of them).'
        TimeoutSec = 'Specifies how long to wait for each VM, in seconds. The default is 60.'
        PassThru   = 'Writes each VM once it reached the state.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'With -PassThru: each VM in the state waited for.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'The guest powers itself off'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name selfhalt
$vm | Start-VirtVm -Wait -TimeoutSec 60
$shell = Wait-VirtLogin -Vm $vm
Send-VirtSessionInput -Session $shell -InputObject 'poweroff -f'
$vm | Wait-VirtVmState -State Stopped -TimeoutSec 30 -PassThru | Select-Object Name, State, DeathReason
Disconnect-VirtSession -Session $shell
Remove-VirtVm $vm
'@
            Remarks = 'The busybox guest powers off at once: the VM is Stopped within seconds, its DeathReason "the guest powered off (guest-shutdown)".'
        }
    )

    RelatedLinks = @('Stop-VirtVm', 'Get-VirtVm', 'Wait-VirtVmEvent')
}
