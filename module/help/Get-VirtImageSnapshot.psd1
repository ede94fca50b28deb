# Help source for Get-VirtImageSnapshot (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Gets the internal snapshots of disk images (qcow2).'

    Description = @(
        'Get-VirtImageSnapshot lists the internal snapshots stored inside each image (qemu-img info) as ImageSnapshot objects: ImagePath, Id, Name, Date (UTC), VmStateSize (0 for a disk-only snapshot) and VmClock. Piped to Restore-VirtImageSnapshot or Remove-VirtImageSnapshot, a snapshot names both its image and itself.'
        'A -Name without wildcards that matches no snapshot is a non-terminating VirtTest.ImageSnapshotNotFound error that lists the snapshots the image has.'
    )

    Parameters  = @{
        Path       = 'Specifies the images. Wildcards and PowerShell paths are resolved. Accepts strings, files (FullName) and ImageInfo objects (Path) from the pipeline.'
        Name       = 'Only writes the snapshots with this name (wildcards allowed).'
        Format     = 'Specifies the image''s format (probed when omitted). Binds from the Format property of piped objects.'
        ForceShare = 'Reads an image that a running VM holds (qemu-img -U).'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Image paths, by value or from the Path, FullName or ImagePath property.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Storage.ImageSnapshot'; Description = 'One per snapshot.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'List the snapshots of an image'
            Code    = @'
$file = Join-Path ([System.IO.Path]::GetTempPath()) "virtimage-snaps-$PID.qcow2"
$null = New-VirtImage $file -Size 64M
$null = New-VirtImageSnapshot $file -Name clean
$null = New-VirtImageSnapshot $file -Name configured
Get-VirtImageSnapshot $file | Format-Table
Get-VirtImageSnapshot $file -Name conf* | Select-Object Id, Name
Remove-Item -LiteralPath $file
'@
            Remarks = 'Two snapshots with ids 1 and 2; the wildcard picks the second.'
        }
    )

    RelatedLinks = @('New-VirtImageSnapshot', 'Restore-VirtImageSnapshot', 'Remove-VirtImageSnapshot', 'about_VirtTest')
}
