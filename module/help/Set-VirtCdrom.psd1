# Help source for Set-VirtCdrom (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every VM an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Changes the medium in a CD-ROM drive of running virtual machines: inserts an ISO, or ejects it.'

    Description = @(
        'Set-VirtCdrom puts the ISO file -Path into the CD-ROM drive -Id of each VM (a drive from the cdroms param), or with -Eject removes the medium and leaves the drive empty. It works while the guest has the disc mounted: the tray is forced open (the guest locked it), so the guest loses the old medium at once; unmount first where that matters. The guest sees the tray move and the new medium (Linux: /dev/sr0 reads the new disc; mount it again).'
        'QEMU: blockdev-open-tray (forced), blockdev-remove-medium, then for a new ISO blockdev-add (read-only raw) and blockdev-insert-medium, and blockdev-close-tray. libvirt: virDomainUpdateDeviceFlags with the drive''s disk element and the new source, or none, forced. Needs the CdromChange capability; elsewhere (Xen) it is a VirtTest.NotSupportedByBackend error. A drive that does not exist is VirtTest.BlockDeviceNotFound (naming the drives there are), a missing ISO VirtTest.ImageNotFound.'
    )

    Parameters  = @{
        Vm       = 'Specifies the VMs, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name     = 'Specifies the VMs by name; wildcards are allowed. Binds from the Name or VmName property of piped objects.'
        Id       = 'Specifies the drive: its name in the cdroms param.'
        Path     = 'Specifies the ISO file to insert. A relative path is resolved against the current location. Give either -Path or -Eject.'
        Eject    = 'Ejects the medium; the drive stays, empty.'
        PassThru = 'Writes the drive as the hypervisor reports it afterwards (a CdromDrive).'
        WhatIf   = 'Shows what would change without changing it.'
        Confirm  = 'Asks for confirmation before changing each VM''s drive.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Monitor.CdromDrive'; Description = 'With -PassThru: the drive afterwards.' }
    )

    Notes       = @(
        'A VM can start with an empty drive (cdroms = cd1 without cdrom_cd1) and get its medium later.'
    )

    Examples    = @(
        @{
            Title   = 'Start with an empty drive, insert an ISO, eject it'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virtcd-set-$PID"
$null = New-Item -ItemType Directory -Path $dir
Set-Content -Path (Join-Path $dir 'hello.txt') -Value 'hello from the CD'
$iso = "$dir.iso"
xorriso -as mkisofs -quiet -V VTCD -o $iso $dir 2>$null
$vm = New-VirtVm -TestGuest -Name cdswap -Property @{ cdroms = 'cd1' }
Start-VirtVm $vm -Wait
Set-VirtCdrom $vm -Id cd1 -Path $iso -PassThru | Format-List Id, File
Set-VirtCdrom $vm -Id cd1 -Eject -PassThru | Format-List Id, HasMedium
Remove-VirtVm $vm
Remove-Item -LiteralPath $iso, $dir -Recurse
'@
            Remarks = 'The drive starts empty; after the insert File is the ISO, after the eject HasMedium is False.'
        }
    )

    RelatedLinks = @('Get-VirtCdrom', 'Get-VirtCapability', 'about_VirtTest')
}
