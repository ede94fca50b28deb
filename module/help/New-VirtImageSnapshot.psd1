# Help source for New-VirtImageSnapshot (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Takes an internal snapshot of disk images (qemu-img snapshot -c).'

    Description = @(
        'New-VirtImageSnapshot stores the image''s current data as a named snapshot inside the image (qcow2) and writes the new ImageSnapshot. Restore-VirtImageSnapshot reverts to it later. The image must not be in use: an image a running VM holds is a VirtTest.ImageLocked error (take snapshots of a running VM through the VM instead).'
        'A name the image already has is a VirtTest.ImageSnapshotExists error (qemu-img itself would add a second snapshot of the same name); an all-digit name is refused because qemu-img reads it as a snapshot id. A format without internal snapshots (raw) is a VirtTest.UnsupportedImageFormat error.'
    )

    Parameters  = @{
        Path   = 'Specifies the images. Wildcards and PowerShell paths are resolved. Accepts strings, files (FullName) and ImageInfo objects (Path) from the pipeline.'
        Name   = 'Specifies the snapshot''s name, unique in the image.'
        Format = 'Specifies the image''s format (probed when omitted). Binds from the Format property of piped objects.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Image paths, by value or from the Path, FullName or ImagePath property.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Storage.ImageSnapshot'; Description = 'The snapshot taken.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Snapshot every qcow2 image in a folder'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virtimage-newsnap-$PID"
$null = New-Item -ItemType Directory -Path $dir
$null = New-VirtImage (Join-Path $dir a.qcow2) -Size 64M
$null = New-VirtImage (Join-Path $dir b.qcow2) -Size 64M
Get-ChildItem $dir -Filter *.qcow2 | New-VirtImageSnapshot -Name before-test | Format-Table
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'Each image gets a snapshot named before-test.'
        }
    )

    RelatedLinks = @('Get-VirtImageSnapshot', 'Restore-VirtImageSnapshot', 'Remove-VirtImageSnapshot', 'about_VirtTest')
}
