# Help source for Remove-VirtDisk (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Unplugs a disk from running virtual machines.'

    Description = @(
        'Remove-VirtDisk asks the hypervisor to unplug the disk with the given id and waits until it is gone: for QEMU until DEVICE_DELETED (the guest has released a virtio-blk disk through ACPI hot-unplug; SCSI disks go at once), then the image node is closed (blockdev-del), so the file is free again. Disks from the params (-drive) can be unplugged too.'
        'An id the VM does not have is a VirtTest.BlockDeviceNotFound error that lists the disks it has; a guest that does not release the disk in time is VirtTest.MonitorTimeout.'
    )

    Parameters  = @{
        Vm         = 'Specifies the VMs, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name       = 'Specifies the VMs by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects (disks and block jobs carry their VmName).'
        Id         = 'Specifies the disk''s id (the Id of Get-VirtBlockDevice or Add-VirtDisk). Binds from the Id property of piped disks.'
        TimeoutSec = 'Specifies how many seconds to wait for the disk to be gone. The default is 60.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
        @{ Type = 'VirtTest.Core.Monitor.BlockDevice'; Description = 'Disks from Get-VirtBlockDevice (VmName and Id bind by property name).' }
    )

    Outputs     = @(
        @{ Type = 'None'; Description = 'Nothing.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Unplug every hot-plugged disk of a VM'
            Code    = @'
$file = Join-Path ([System.IO.Path]::GetTempPath()) "virtdisk-rm-$PID.qcow2"
$null = New-VirtImage $file -Size 16M
$vm = New-VirtVm -TestGuest -Name rmdisk
Start-VirtVm $vm -Wait
$null = Add-VirtDisk $vm -Path $file -Bus Scsi
Get-VirtBlockDevice $vm -Id virttest-dev* | Remove-VirtDisk
@(Get-VirtBlockDevice $vm).Count
Remove-VirtVm $vm
Remove-Item -LiteralPath $file
'@
            Remarks = 'Disks piped from Get-VirtBlockDevice name their VM and id. The test guest has no other disks, so the count is 0 afterwards.'
        }
    )

    RelatedLinks = @('Add-VirtDisk', 'Get-VirtBlockDevice', 'about_VirtTest')
}
