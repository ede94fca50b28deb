# Help source for Stop-VirtVm (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Powers virtual machines down, gracefully within a timeout, then by force.'

    Description = @(
        'Stop-VirtVm presses the virtual power button of each VM (ACPI power-down) and waits up to -TimeoutSec seconds for the guest to power off. If the guest does not, the hypervisor is asked to quit and, if that does not work either, its process is killed. -Force kills the VM at once without asking the guest.'
        'However the VM ends, everything it used on the host is released: the hypervisor process, its sockets and its runtime directory (which holds the console log). The VM stays in the session in the Stopped state and can be started again; Remove-VirtVm removes it from the session.'
        'Stopping a VM that is not running (Created, Stopped or Dead) does nothing and is not an error.'
    )

    Parameters  = @{
        Vm         = 'Specifies the VMs to stop, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name       = 'Specifies the VMs to stop by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects.'
        TimeoutSec = 'Specifies how many seconds the guest gets to power off after the power button is pressed. The default is the kill_vm_timeout param, else 60. 0 skips the graceful part.'
        Force      = 'Kills the VM at once, without pressing the power button. -TimeoutSec is ignored.'
        PassThru   = 'Writes each stopped VM to the pipeline. By default Stop-VirtVm writes nothing.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
        @{ Type = 'System.String'; Description = 'VM names, from the Name or VmName property of piped objects.' }
    )

    Outputs     = @(
        @{ Type = 'None'; Description = 'By default, nothing.' }
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'With -PassThru, each VM that was stopped.' }
    )

    Notes       = @(
        'A guest without ACPI power-button handling (such as the busybox test guest) ignores the power button: Stop-VirtVm then takes -TimeoutSec seconds before it ends the VM. Use a short timeout, or -Force, for such guests.'
    )

    Examples    = @(
        @{
            Title   = 'Stop a guest, giving it two seconds'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name halt
$vm | Start-VirtVm -Wait -TimeoutSec 60
$vm | Stop-VirtVm -TimeoutSec 2 -PassThru | Select-Object Name, State
Remove-VirtVm $vm
'@
            Remarks = 'Presses the power button, waits at most two seconds for the guest to power off, then ends QEMU. The VM is Stopped afterwards and could be started again.'
        }
        @{
            Title   = 'Kill VMs by name'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name crash1
Start-VirtVm $vm
Stop-VirtVm -Name crash* -Force
$vm.State
Remove-VirtVm -Name crash1
'@
            Remarks = 'Kills every VM whose name starts with crash at once, without asking the guests.'
        }
    )

    RelatedLinks = @('Start-VirtVm', 'Remove-VirtVm', 'Get-VirtVm', 'about_VirtTest')
}
