# Help source for Remove-VirtPciDevice (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Unplugs a PCI device from running virtual machines.'

    Description = @(
        'Remove-VirtPciDevice asks the VM to unplug the device with the given id and waits until the hypervisor reports it gone, which means that the guest has released it (for QEMU: the DEVICE_DELETED event). A guest that does not handle PCI hot-unplug, or that has not booted far enough to handle it, never releases the device: that is a VirtTest.MonitorTimeout error after -TimeoutSec seconds.'
        'An id that no device of the VM has is rejected by the hypervisor: for QEMU the error id is VirtTest.MonitorCommand.DeviceNotFound.'
        'Devices piped from Get-VirtPciInfo or Add-VirtPciDevice bind by property name: the VM from VmName and the id from QdevId.'
    )

    Parameters  = @{
        Vm         = 'Specifies the VMs to remove the device from, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name       = 'Specifies the VMs by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Also bound from the VmName property of piped devices.'
        Id         = 'Specifies the id of the device to remove, as given to Add-VirtPciDevice -Id. Also bound from the QdevId property of piped devices.'
        TimeoutSec = 'Specifies how many seconds to wait for the guest to release the device. The default is 60.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Monitor.PciDevice'; Description = 'Devices from Get-VirtPciInfo or Add-VirtPciDevice (VmName and QdevId bind by property name).' }
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
    )

    Outputs     = @(
        @{ Type = 'None'; Description = 'Remove-VirtPciDevice writes nothing.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Plug cards in and out again'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name unplug
$vm | Start-VirtVm -Wait -TimeoutSec 60
$null = Add-VirtPciDevice $vm -Model virtio-net-pci -Id extra0
$null = Add-VirtPciDevice $vm -Model e1000 -Id extra1
Remove-VirtPciDevice $vm -Id extra0 -TimeoutSec 30
Get-VirtPciInfo $vm -Id extra* | Remove-VirtPciDevice
Get-VirtPciInfo $vm -Id extra* | Measure-Object | Select-Object Count
Remove-VirtVm $vm
'@
            Remarks = 'Waits for the guest to boot (it must handle the unplug requests) and adds two network cards. The first is removed by its id; the rest are found by Get-VirtPciInfo and piped to Remove-VirtPciDevice, which takes the VM and the id from the piped objects. Afterwards no device with an extra id is left.'
        }
    )

    RelatedLinks = @('Add-VirtPciDevice', 'Get-VirtPciInfo', 'Wait-VirtVmEvent', 'about_VirtTest')
}
