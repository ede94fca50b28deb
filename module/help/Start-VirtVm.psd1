# Help source for Start-VirtVm (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Starts virtual machines and optionally waits until the guest is ready.'

    Description = @(
        'Start-VirtVm starts the hypervisor of each VM (for QEMU, a qemu-system process with its own runtime directory for sockets and the console log), connects to its monitor and lets the virtual CPUs run. When it returns, the VM is Running (Paused with -Paused).'
        'With -Wait, Start-VirtVm then waits until the guest prints the pattern of its ready_pattern param on the serial console (VMs created with New-VirtVm -TestGuest have one). -Pattern waits for a regular expression of your own and implies -Wait. The console log is read from the start of the boot, so nothing printed before the wait begins is missed. A progress bar shows while it waits.'
        'A boot that does not finish leaves nothing behind: when the pattern does not appear within -TimeoutSec, when the VM dies meanwhile, or when you press Ctrl+C, the VM is killed (state Stopped) and the error says why, with the last lines of the console. Starting a VM that is already running is a VirtTest.VmState error. Errors are non-terminating: with several VMs, the others are still started.'
    )

    Parameters  = @{
        Vm         = 'Specifies the VMs to start, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name       = 'Specifies the VMs to start by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects.'
        Paused     = 'Starts the VM with its virtual CPUs stopped (state Paused); Resume-VirtVm lets it run.'
        Wait       = 'Waits until the guest prints the VM''s ready_pattern param on the serial console. Without -Pattern and without a ready_pattern param, this is a VirtTest.NoReadyPattern error.'
        Pattern    = 'Specifies a regular expression (multiline) to wait for on the serial console instead of ready_pattern. Implies -Wait.'
        TimeoutSec = 'Specifies how many seconds to wait for the pattern. The default is the login_timeout param, else 240, the one default for guests to become ready.'
        PassThru   = 'Writes each started VM to the pipeline. By default Start-VirtVm writes nothing.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
        @{ Type = 'System.String'; Description = 'VM names, from the Name or VmName property of piped objects.' }
    )

    Outputs     = @(
        @{ Type = 'None'; Description = 'By default, nothing.' }
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'With -PassThru, each VM that was started (and, with -Wait, is ready).' }
    )

    Notes       = @(
        'QEMU runs with TCG (no KVM) unless the VM''s params set accel = kvm or enable_kvm = yes; the test guest boots in a few seconds under TCG.'
    )

    Examples    = @(
        @{
            Title   = 'Boot the test guest and wait for its shell'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name boot
$vm | Start-VirtVm -Wait -TimeoutSec 60
$vm | Select-Object Name, State, ProcessId
Remove-VirtVm $vm
'@
            Remarks = 'Starts the VM and waits until the guest prints its ready line (the ready_pattern param set by -TestGuest), then shows its state and the process id of QEMU.'
        }
        @{
            Title   = 'Wait for a pattern of your own'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name prompt
Start-VirtVm $vm -Pattern '\[virttest\]# ' -TimeoutSec 60 -PassThru | Select-Object Name, State
Remove-VirtVm $vm
'@
            Remarks = 'Waits for the shell prompt of the test guest instead of its ready line. If the pattern did not appear in time, the VM would be killed and the error would show the last console lines.'
        }
        @{
            Title   = 'Start with stopped CPUs'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name frozen
Start-VirtVm -Name frozen -Paused
$vm.State
Remove-VirtVm $vm
'@
            Remarks = 'Starts the VM by name with its virtual CPUs stopped; the state is Paused until Resume-VirtVm.'
        }
    )

    RelatedLinks = @('New-VirtVm', 'Stop-VirtVm', 'Suspend-VirtVm', 'Resume-VirtVm', 'Get-VirtVm', 'about_VirtTest')
}
