# Help source for New-VirtDiskSnapshot (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Takes a live external snapshot of a disk of running virtual machines.'

    Description = @(
        'New-VirtDiskSnapshot creates a new overlay file on top of the disk''s current image and switches the running VM''s disk to it: from then on the guest''s writes go to the overlay, and the image below keeps the data of the moment of the snapshot. It writes the disk (BlockDevice) with its new File and its BackingFile.'
        'QEMU: the overlay is created with qemu-img create -u (the running VM holds the current image), opened with blockdev-add and put on top with blockdev-snapshot. libvirt: a disk-only external snapshot (virDomainSnapshotCreateXML, no libvirt snapshot metadata kept). Invoke-VirtBlockJob -Type Commit writes the overlay''s data back down; -Type Stream pulls the data below up into it.'
        'An existing overlay file is a VirtTest.ImageExists error; a disk id the VM does not have is VirtTest.BlockDeviceNotFound.'
    )

    Parameters  = @{
        Vm         = 'Specifies the VMs, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name       = 'Specifies the VMs by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects (disks and block jobs carry their VmName).'
        Id     = 'Specifies the disk''s id (see Get-VirtBlockDevice).'
        Path   = 'Specifies the new overlay file. A relative path is resolved against the current location.'
        Format = 'Specifies the overlay''s format; qcow2 (the default) is the one with backing files.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Monitor.BlockDevice'; Description = 'The disk, now on the overlay.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Snapshot a disk, then commit the overlay back'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virtsnap-$PID"
$null = New-Item -ItemType Directory -Path $dir
$base = (New-VirtImage (Join-Path $dir base.qcow2) -Size 32M).Path
$vm = New-VirtVm -TestGuest -Name livesnap -Property @{ images = 'data'; image_filename_data = $base }
Start-VirtVm $vm
New-VirtDiskSnapshot $vm -Id data -Path (Join-Path $dir overlay.qcow2) | Format-List Id, File, BackingFile
Invoke-VirtBlockJob $vm -Type Commit -Id data | Format-List Type, Status
(Get-VirtBlockDevice $vm -Id data).File -eq $base
Remove-VirtVm $vm
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'After the snapshot the disk runs on overlay.qcow2 with base.qcow2 below; the commit writes the overlay down and switches the disk back to base.qcow2.'
        }
    )

    RelatedLinks = @('Invoke-VirtBlockJob', 'Get-VirtBlockDevice', 'New-VirtImageSnapshot', 'about_VirtTest')
}
