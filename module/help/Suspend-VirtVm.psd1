# Help source for Suspend-VirtVm (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Pauses the virtual CPUs of running virtual machines.'

    Description = @(
        'Suspend-VirtVm stops the virtual CPUs of each VM: the guest is frozen, but the hypervisor keeps running, its memory stays allocated and the monitor still answers. The VM''s state becomes Paused. Resume-VirtVm lets it continue where it stopped.'
        'The hypervisor reports the pause as a monitor event (STOP for QEMU), which Wait-VirtVmEvent can wait for. Pausing a VM that is not running is a VirtTest.VmState error; a backend that cannot pause VMs gives a VirtTest.NotSupportedByBackend error.'
    )

    Parameters  = @{
        Vm       = 'Specifies the VMs to pause, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name     = 'Specifies the VMs to pause by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects.'
        PassThru = 'Writes each paused VM to the pipeline. By default Suspend-VirtVm writes nothing.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
        @{ Type = 'System.String'; Description = 'VM names, from the Name or VmName property of piped objects.' }
    )

    Outputs     = @(
        @{ Type = 'None'; Description = 'By default, nothing.' }
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'With -PassThru, each VM that was paused.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Pause and resume a VM'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name nap
Start-VirtVm $vm
Suspend-VirtVm $vm -PassThru | Select-Object Name, State
Resume-VirtVm $vm -PassThru | Select-Object Name, State
Remove-VirtVm $vm
'@
            Remarks = 'The state is Paused after Suspend-VirtVm and Running again after Resume-VirtVm.'
        }
        @{
            Title   = 'Pause and wait for the monitor event'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name frozen2
Start-VirtVm $vm
$last = $vm.Monitor.LastEventSequence
Suspend-VirtVm -Name frozen2
Wait-VirtVmEvent $vm -EventName STOP -After $last -TimeoutSec 10
Remove-VirtVm $vm
'@
            Remarks = 'Remembers the sequence number of the last monitor event, pauses the VM by name and waits for the STOP event that follows.'
        }
    )

    RelatedLinks = @('Resume-VirtVm', 'Wait-VirtVmEvent', 'Start-VirtVm', 'about_VirtTest')
}
