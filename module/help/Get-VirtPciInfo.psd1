# Help source for Get-VirtPciInfo (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Gets the PCI devices of running virtual machines.'

    Description = @(
        'Get-VirtPciInfo asks the hypervisor of each VM for its PCI devices and writes one PciDevice object per PCI function, including the functions behind PCI bridges. Each object has the bus, slot and function (and the Address in bus:slot.function notation, such as 00:03.0), the vendor and device ids (VendorDevice, such as 8086:100e, as lspci shows it), the class code with its description, the device id given when it was added (QdevId) and the name of the VM (VmName).'
        'The VM must be running or paused: for any other state (including a VM that died) the error id is VirtTest.VmState. A backend that cannot list PCI devices gives a VirtTest.NotSupportedByBackend error.'
        'The objects can be piped to Remove-VirtPciDevice, which takes the VM from VmName and the device from QdevId.'
    )

    Parameters  = @{
        Vm   = 'Specifies the VMs whose devices to list, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name = 'Specifies the VMs by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects.'
        Id   = 'Writes only the devices whose id (the -Id given to Add-VirtPciDevice, QdevId) matches; wildcards are allowed and case is ignored. Built-in devices have an empty id.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
        @{ Type = 'System.String'; Description = 'VM names, from the Name or VmName property of piped objects.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Monitor.PciDevice'; Description = 'One object per PCI function, shown as a table of address, vendor:device, class code, class description and id.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'List the PCI devices of a VM'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name pci
Start-VirtVm $vm
Get-VirtPciInfo $vm
Get-VirtPciInfo $vm | Where-Object ClassCode -eq 0x0200 | Select-Object Address, VendorDevice, QdevId
Remove-VirtVm $vm
'@
            Remarks = 'Lists all PCI functions, then only the Ethernet controllers (class 0200): the virtio network card of the test guest, with the id nic1.'
        }
        @{
            Title   = 'Find a hot-plugged device by its id'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name pci2
Start-VirtVm $vm
$null = Add-VirtPciDevice $vm -Model e1000 -Id extra-nic
Get-VirtPciInfo -Name pci2 -Id extra*
Remove-VirtVm $vm
'@
            Remarks = 'Adds an e1000 network card and finds it again by a wildcard on its id.'
        }
    )

    RelatedLinks = @('Add-VirtPciDevice', 'Remove-VirtPciDevice', 'Invoke-VirtMonitor', 'about_VirtTest')
}
