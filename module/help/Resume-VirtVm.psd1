# Help source for Resume-VirtVm (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Lets paused virtual machines run again.'

    Description = @(
        'Resume-VirtVm continues the virtual CPUs of each VM paused by Suspend-VirtVm or started with Start-VirtVm -Paused. The state becomes Running. The hypervisor reports it as a monitor event (RESUME for QEMU), which Wait-VirtVmEvent can wait for.'
        'Resuming a VM that is running already does no harm. Resuming a VM that is not alive (Created, Stopped, Dead) is a VirtTest.VmState error; a backend that cannot pause VMs gives a VirtTest.NotSupportedByBackend error.'
    )

    Parameters  = @{
        Vm       = 'Specifies the VMs to resume, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name     = 'Specifies the VMs to resume by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects.'
        PassThru = 'Writes each resumed VM to the pipeline. By default Resume-VirtVm writes nothing.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
        @{ Type = 'System.String'; Description = 'VM names, from the Name or VmName property of piped objects.' }
    )

    Outputs     = @(
        @{ Type = 'None'; Description = 'By default, nothing.' }
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'With -PassThru, each VM that was resumed.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Start paused, then let it run'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name late
Start-VirtVm $vm -Paused
$last = $vm.Monitor.LastEventSequence
$vm | Resume-VirtVm
Wait-VirtVmEvent $vm RESUME -After $last -TimeoutSec 10 | Select-Object Name, Sequence
$vm.State
Remove-VirtVm $vm
'@
            Remarks = 'Starts the VM with its CPUs stopped, resumes it and waits for the RESUME event; the state is then Running.'
        }
    )

    RelatedLinks = @('Suspend-VirtVm', 'Start-VirtVm', 'Wait-VirtVmEvent', 'about_VirtTest')
}
