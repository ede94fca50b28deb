# Help source for Add-VirtDisk (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Hot-plugs a disk image into running virtual machines.'

    Description = @(
        'Add-VirtDisk plugs an existing image file into each VM while it runs, on the bus -Bus names, and waits until the hypervisor lists the disk; it then writes the disk as a BlockDevice (as Get-VirtBlockDevice does). Disks get their own cmdlets, not Add-VirtPciDevice: a disk needs an image and may sit on a SCSI or USB bus rather than on PCI.'
        'QEMU: the image is opened with blockdev-add and the device added with device_add: virtio-blk-pci (Virtio, the guest sees /dev/vdX), scsi-hd on a virtio-scsi-pci controller (Scsi, /dev/sdX; the controller is hot-plugged first when the VM has none) or usb-storage on a qemu-xhci controller (Usb). libvirt: a <disk> is attached (target vdX or sdX). Xen: xl block-attach (the guest sees xvdX); on a Xen host reached over SSH (param xen_host) the path is a path on that host, as with a libvirt remote URI: the disk is the host''s file, never a copy of a local one.'
        'Errors are typed and leave nothing half-plugged: a missing image is VirtTest.ImageNotFound, an image another VM (or another disk) holds VirtTest.ImageLocked, an id in use VirtTest.Monitor, a backend without disk hot-plug VirtTest.NotSupportedByBackend (Get-VirtCapability -Name DiskHotplug tells beforehand).'
    )

    Parameters  = @{
        Vm         = 'Specifies the VMs, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name       = 'Specifies the VMs by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects (disks and block jobs carry their VmName).'
        Path       = 'Specifies the image file. A relative path is resolved against the current location. For a VM on a Xen host reached over SSH, an absolute path on that host.'
        Bus        = 'Specifies the bus: Virtio (the default), Scsi or Usb.'
        Id         = 'Specifies the disk''s id, unique within the VM. When omitted, an id is generated (virttest-devN); read it from the Id property of the output.'
        Format     = 'Specifies the image''s format. When omitted it is read from the file with qemu-img info (on a remote Xen host: from the file''s header, qcow2, qcow, vhd and qed by their magic, anything else raw).'
        ReadOnly   = 'Plugs the disk in read-only.'
        Serial     = 'Specifies a serial number the guest sees (for example under /dev/disk/by-id).'
        TimeoutSec = 'Specifies how many seconds to wait for the disk to be listed. The default is 60.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Monitor.BlockDevice'; Description = 'The added disk, once the VM lists it.' }
    )

    Notes       = @(
        'Whether the guest uses the disk is up to the guest: Linux picks up virtio-blk and SCSI disks at once. A migration with storage (Move-VirtVm -CopyStorage) refuses a VM with hot-plugged disks: remove them first.'
    )

    Examples    = @(
        @{
            Title   = 'Plug a new disk into the test guest and find it in the guest'
            Code    = @'
$file = Join-Path ([System.IO.Path]::GetTempPath()) "virtdisk-$PID.qcow2"
$null = New-VirtImage $file -Size 64M
$vm = New-VirtVm -TestGuest -Name adddisk
Start-VirtVm $vm -Wait
Add-VirtDisk $vm -Path $file -Id data1 | Format-List Id, File, Format, Size, Bus
Remove-VirtDisk $vm -Id data1
Remove-VirtVm $vm
Remove-Item -LiteralPath $file
'@
            Remarks = 'The guest sees the disk as /dev/vda (virtio-blk); Remove-VirtDisk returns once the guest released it.'
        }
    )

    RelatedLinks = @('Remove-VirtDisk', 'Get-VirtBlockDevice', 'New-VirtImage', 'Get-VirtCapability', 'about_VirtTest')
}
