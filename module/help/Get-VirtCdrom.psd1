# Help source for Get-VirtCdrom (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every VM an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Gets the CD-ROM drives of running virtual machines and the ISO in each.'

    Description = @(
        'Get-VirtCdrom lists the CD-ROM drives a VM got from its params (cdroms = cd1 ..., each with cdrom_<name> = an ISO file, or empty for an empty drive) as the hypervisor reports them now: the drive''s id (its name in cdroms), the bus the guest sees it on, the hypervisor''s name of the drive and the ISO in it (File; none when the drive is empty or was ejected).'
        'QEMU: the removable entries of query-block. libvirt: the <disk device=''cdrom''> elements of the live domain XML. A backend without the CdromChange capability (Xen: drives are attached at start, on HVM guests, but not listed or changed at run time) answers with a VirtTest.NotSupportedByBackend error.'
    )

    Parameters  = @{
        Vm   = 'Specifies the VMs, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name = 'Specifies the VMs by name; wildcards are allowed. Binds from the Name or VmName property of piped objects.'
        Id   = 'Lists only drives whose id matches (wildcards allowed). An id without wildcards that matches no drive is a VirtTest.BlockDeviceNotFound error naming the drives there are.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Monitor.CdromDrive'; Description = 'One per drive: VmName, Id, Bus, NodeName, File (the ISO, or null), HasMedium, Locked (QEMU: the guest locked the tray).' }
    )

    Notes       = @(
        'The params: cdroms lists the drives; cdrom_<name> is the ISO (a path; ${NAME} expands an environment variable; relative to the current folder); cd_format_<name> (the reference''s name) or drive_format_<name> the bus: ide (the default), ahci or scsi (on a virtio-scsi controller). Drives are always read-only.'
    )

    Examples    = @(
        @{
            Title   = 'A VM with an ISO in its CD-ROM drive'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virtcd-$PID"
$null = New-Item -ItemType Directory -Path $dir
Set-Content -Path (Join-Path $dir 'hello.txt') -Value 'hello from the CD'
$iso = "$dir.iso"
xorriso -as mkisofs -quiet -V VTCD -o $iso $dir 2>$null
$vm = New-VirtVm -TestGuest -Name cdguest -Property @{ cdroms = 'cd1'; cdrom_cd1 = $iso }
Start-VirtVm $vm -Wait
Get-VirtCdrom $vm | Format-List VmName, Id, Bus, File
Remove-VirtVm $vm
Remove-Item -LiteralPath $iso, $dir -Recurse
'@
            Remarks = 'xorriso (Debian package xorriso) makes the ISO from a folder. The drive cd1 is on IDE, read-only, with the ISO in it.'
        }
    )

    RelatedLinks = @('Set-VirtCdrom', 'Get-VirtBlockDevice', 'Get-VirtCapability', 'about_VirtTest')
}
