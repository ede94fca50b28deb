# Help source for Remove-VirtImageSnapshot (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Deletes internal snapshots of disk images (qemu-img snapshot -d).'

    Description = @(
        'Remove-VirtImageSnapshot deletes the named snapshot from the image; the image''s current data does not change. The snapshot is named by -Name (its name, or its id); snapshots from Get-VirtImageSnapshot piped in name both their image and themselves.'
        'A name the image does not have is a VirtTest.ImageSnapshotNotFound error listing the snapshots it has; an image a running VM holds is VirtTest.ImageLocked.'
    )

    Parameters  = @{
        Path   = 'Specifies the images. Wildcards and PowerShell paths are resolved. Binds from the ImagePath property of piped snapshots, and from Path or FullName.'
        Name   = 'Specifies the snapshot by name or id. Binds from the Name property of piped snapshots.'
        Format = 'Specifies the image''s format (probed when omitted).'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Storage.ImageSnapshot'; Description = 'Snapshots from Get-VirtImageSnapshot (ImagePath and Name bind by property name).' }
        @{ Type = 'System.String'; Description = 'Image paths.' }
    )

    Outputs     = @(
        @{ Type = 'None'; Description = 'Nothing.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Delete all snapshots of an image'
            Code    = @'
$file = Join-Path ([System.IO.Path]::GetTempPath()) "virtimage-rmsnap-$PID.qcow2"
$null = New-VirtImage $file -Size 64M
$null = New-VirtImageSnapshot $file -Name one
$null = New-VirtImageSnapshot $file -Name two
Get-VirtImageSnapshot $file | Remove-VirtImageSnapshot
@(Get-VirtImageSnapshot $file).Count
Remove-Item -LiteralPath $file
'@
            Remarks = 'Prints 0.'
        }
    )

    RelatedLinks = @('Get-VirtImageSnapshot', 'New-VirtImageSnapshot', 'Restore-VirtImageSnapshot', 'about_VirtTest')
}
