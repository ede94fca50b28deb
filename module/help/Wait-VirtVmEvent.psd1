# Help source for Wait-VirtVmEvent (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Waits for a monitor event of a virtual machine.'

    Description = @(
        'Wait-VirtVmEvent waits until the hypervisor of each VM reports an event with the given name and writes it as a MonitorEvent object (Name, Data, Timestamp, Sequence). Event names are the hypervisor''s; for QEMU, for example STOP, RESUME, DEVICE_DELETED, SHUTDOWN, POWERDOWN and RESET.'
        'Every event the VM reports is logged with an increasing sequence number, from the moment the monitor is connected. By default (-After 0) an event already logged counts, so an event that happened before the call is not missed. To wait only for an event caused by what you do next, remember the VM''s last sequence number first ($vm.Monitor.LastEventSequence, or the Sequence of an earlier event) and pass it to -After.'
        'No such event within -TimeoutSec is a VirtTest.MonitorTimeout error (category OperationTimeout).'
    )

    Parameters  = @{
        Vm         = 'Specifies the VMs to wait for, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name       = 'Specifies the VMs by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects.'
        EventName  = 'Specifies the name of the event to wait for, in the hypervisor''s spelling, for example STOP or DEVICE_DELETED.'
        After      = 'Only an event with a sequence number greater than this counts. Use the Sequence of an earlier event or $vm.Monitor.LastEventSequence taken before the action that causes the event. The default, 0, also accepts events logged before the call.'
        TimeoutSec = 'Specifies how many seconds to wait. The default is 30.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
        @{ Type = 'System.String'; Description = 'VM names, from the Name or VmName property of piped objects.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Monitor.MonitorEvent'; Description = 'The event, shown as a table of sequence number, name, timestamp and data (as JSON).' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Wait for the events of a pause and a resume'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name events
Start-VirtVm $vm
$last = $vm.Monitor.LastEventSequence
Suspend-VirtVm $vm
$stop = Wait-VirtVmEvent $vm -EventName STOP -After $last -TimeoutSec 10
Resume-VirtVm $vm
$stop, (Wait-VirtVmEvent $vm RESUME -After $stop.Sequence -TimeoutSec 10)
Remove-VirtVm $vm
'@
            Remarks = 'Each wait accepts only events after the previous one, so neither can be satisfied by an older STOP or RESUME (QEMU reports a RESUME when the VM starts).'
        }
    )

    RelatedLinks = @('Suspend-VirtVm', 'Resume-VirtVm', 'Remove-VirtPciDevice', 'Invoke-VirtMonitor', 'about_VirtTest')
}
