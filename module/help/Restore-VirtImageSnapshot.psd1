# Help source for Restore-VirtImageSnapshot (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Reverts disk images to an internal snapshot (qemu-img snapshot -a).'

    Description = @(
        'Restore-VirtImageSnapshot sets the image''s data back to what it was when the snapshot was taken; what was written since is lost. The snapshot itself stays, so the image can be reverted to it again. The snapshot is named by -Name (its name, or its id); a snapshot from Get-VirtImageSnapshot piped in names both its image and itself.'
        'A name the image does not have is a VirtTest.ImageSnapshotNotFound error listing the snapshots it has; an image a running VM holds is VirtTest.ImageLocked.'
    )

    Parameters  = @{
        Path     = 'Specifies the images. Wildcards and PowerShell paths are resolved. Binds from the ImagePath property of piped snapshots, and from Path or FullName.'
        Name     = 'Specifies the snapshot by name or id. Binds from the Name property of piped snapshots.'
        Format   = 'Specifies the image''s format (probed when omitted).'
        PassThru = 'Writes the restored snapshot. By default Restore-VirtImageSnapshot writes nothing.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Storage.ImageSnapshot'; Description = 'Snapshots from Get-VirtImageSnapshot (ImagePath and Name bind by property name).' }
        @{ Type = 'System.String'; Description = 'Image paths.' }
    )

    Outputs     = @(
        @{ Type = 'None'; Description = 'By default, nothing.' }
        @{ Type = 'VirtTest.Core.Storage.ImageSnapshot'; Description = 'With -PassThru, the restored snapshot.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Undo a change with a snapshot'
            Code    = @'
$file = Join-Path ([System.IO.Path]::GetTempPath()) "virtimage-restore-$PID.qcow2"
$null = New-VirtImage $file -Size 1G
$snapshot = New-VirtImageSnapshot $file -Name small
$null = Resize-VirtImage $file -Size 2G
$snapshot | Restore-VirtImageSnapshot -PassThru | Select-Object Name
(Get-VirtImage $file).VirtualSize
Remove-Item -LiteralPath $file
'@
            Remarks = 'A snapshot keeps the disk size too: after the restore the image is 1 GiB again.'
        }
    )

    RelatedLinks = @('Get-VirtImageSnapshot', 'New-VirtImageSnapshot', 'Remove-VirtImageSnapshot', 'about_VirtTest')
}
