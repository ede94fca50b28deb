# Help source for Add-VirtPciDevice (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Hot-plugs a PCI device into running virtual machines.'

    Description = @(
        'Add-VirtPciDevice adds a device of the given model to each VM while it runs and waits until the VM lists it on its PCI bus; it then writes the device as a PciDevice object (the same kind of object Get-VirtPciInfo writes). Whether and when the guest operating system uses the device is up to the guest: on Linux, the ACPI PCI hot-plug driver picks it up.'
        'The device gets the id of -Id (a generated one, virttest-devN, when omitted); Get-VirtPciInfo -Id finds it and Remove-VirtPciDevice -Id removes it. An id that is already used, an unknown model or a bad property is rejected by the hypervisor: the error id is VirtTest.MonitorCommand.<class> (for QEMU usually GenericError) and the message is the hypervisor''s. A device that does not appear in time is a VirtTest.MonitorTimeout error.'
        'A network card (a model of QEMU''s Network devices) carries traffic: on QEMU it gets a netdev first, a tap on the bridge of the VM''s first NIC with nettype = bridge (or the bridge named by the nettype, netdst and netdst_netns properties), else user-mode networking (Property @{ nettype = ''user'' } chooses it), and a MAC address from the host-wide pool unless Property gives mac. Remove-VirtPciDevice removes the netdev and the tap with the card; a missing bridge is a VirtTest.Network.BridgeNotFound error before anything is added.'
        'A VM whose machine type has no hot-pluggable PCI bus (such as microvm) gives a VirtTest.NotSupportedByBackend error; Get-VirtCapability -Name PciHotplug tells beforehand.'
    )

    Parameters  = @{
        Vm         = 'Specifies the VMs to add the device to, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name       = 'Specifies the VMs by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects.'
        Model      = 'Specifies the device model in the hypervisor''s spelling, for example e1000 or virtio-net-pci for QEMU.'
        Id         = 'Specifies the id of the new device, unique within the VM. When omitted, an id is generated; read it from the QdevId property of the output.'
        Property   = 'Specifies further device properties as a hashtable, for example @{ mac = ''52:54:00:12:34:99'' }. Values are converted to strings. The model and id cannot be given here. For a network card, nettype (bridge or user), netdst and netdst_netns choose its network instead of being device properties; a netdev property leaves the network to you.'
        TimeoutSec = 'Specifies how many seconds to wait for the device to appear on the PCI bus. The default is 30.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
        @{ Type = 'System.String'; Description = 'VM names, from the Name or VmName property of piped objects.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Monitor.PciDevice'; Description = 'The added device, once the VM lists it.' }
    )

    Notes       = @(
        'A hot-plugged device stays until Remove-VirtPciDevice removes it or the VM stops. The destination of a live migration (Move-VirtVm) is started from the VM''s params, without hot-plugged devices, so such a migration fails (and the VM keeps running where it was): remove hot-plugged devices before migrating.'
    )

    Examples    = @(
        @{
            Title   = 'Add a network card with a fixed MAC address'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name hotplug
Start-VirtVm $vm
Add-VirtPciDevice $vm -Model e1000 -Id nic9 -Property @{ mac = '52:54:00:12:34:99' }
Remove-VirtVm $vm
'@
            Remarks = 'Adds an Intel e1000 network card with the id nic9 and shows it as Get-VirtPciInfo would: vendor:device 8086:100e, class 0200.'
        }
    )

    RelatedLinks = @('Remove-VirtPciDevice', 'Get-VirtPciInfo', 'Get-VirtCapability', 'about_VirtTest')
}
