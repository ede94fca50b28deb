# Help source for Get-VirtBlockDevice (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Gets the disks of running virtual machines.'

    Description = @(
        'Get-VirtBlockDevice writes one BlockDevice per disk of each VM, as its hypervisor lists it: VmName, Id (the device id: the image name of a disk from the params, the id given to Add-VirtDisk), NodeName (QEMU''s node name, libvirt''s target such as vdb), File (the top image of its chain), Format, BackingFile, ReadOnly, Removable, Size (virtual size in bytes) and Bus.'
        'QEMU: query-block. libvirt: the <disk> elements of the live domain XML with virDomainGetBlockInfo for the size. Xen: xl block-list.'
    )

    Parameters  = @{
        Vm         = 'Specifies the VMs, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name       = 'Specifies the VMs by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects (disks and block jobs carry their VmName).'
        Id = 'Only writes disks whose id matches (wildcards allowed). An id without wildcards that matches nothing is a VirtTest.BlockDeviceNotFound error.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Monitor.BlockDevice'; Description = 'One per disk.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'List the disks of a VM started with one from its params'
            Code    = @'
$file = Join-Path ([System.IO.Path]::GetTempPath()) "virtdisk-list-$PID.qcow2"
$null = New-VirtImage $file -Size 32M
$vm = New-VirtVm -TestGuest -Name lsdisk -Property @{ images = 'data'; image_filename_data = $file }
Start-VirtVm $vm
Get-VirtBlockDevice $vm | Format-Table
Remove-VirtVm $vm
Remove-Item -LiteralPath $file
'@
            Remarks = 'The disk from the params is listed with the id data.'
        }
    )

    RelatedLinks = @('Add-VirtDisk', 'Remove-VirtDisk', 'New-VirtDiskSnapshot', 'Invoke-VirtBlockJob', 'about_VirtTest')
}
