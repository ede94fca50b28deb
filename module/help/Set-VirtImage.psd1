# Help source for Set-VirtImage (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Changes the backing file of disk images (qemu-img rebase), or makes them standalone.'

    Description = @(
        'Set-VirtImage is the rebase of qemu-img, named with PowerShell''s Set verb: it gives an overlay a new backing file. By default (safe mode) the data that differs between the old and the new backing chain is copied into the overlay, so the guest sees exactly the same data afterwards; a progress bar follows qemu-img''s percentage. With -Unsafe only the header is rewritten: use it when the backing file was moved or renamed, or its content is known to be the same.'
        'With -RemoveBackingFile the whole backing chain''s data is copied into the image, which then stands alone (a flatten).'
        'The new backing file''s path is resolved against the current location and recorded in full; its format is read from the file unless -BackingFormat is given (an -Unsafe rebase onto a file that does not exist yet needs -BackingFormat). An image a running VM holds is a VirtTest.ImageLocked error.'
    )

    Parameters  = @{
        Path              = 'Specifies the overlay images. Wildcards and PowerShell paths are resolved. Accepts strings, files (FullName) and ImageInfo objects (Path) from the pipeline.'
        BackingFile       = 'Specifies the new backing file.'
        BackingFormat     = 'Specifies the new backing file''s format (read from the file when omitted).'
        Unsafe            = 'Only rewrites the header (qemu-img rebase -u); no data is compared or copied.'
        RemoveBackingFile = 'Copies the backing chain''s data into the image and removes its backing file.'
        Format            = 'Specifies the image''s format (probed when omitted). Binds from the Format property of piped objects.'
        PassThru          = 'Writes the image''s ImageInfo afterwards. By default Set-VirtImage writes nothing.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Image paths, by value or from the Path, FullName or ImagePath property.' }
    )

    Outputs     = @(
        @{ Type = 'None'; Description = 'By default, nothing.' }
        @{ Type = 'VirtTest.Core.Storage.ImageInfo'; Description = 'With -PassThru, the changed image.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Move an overlay onto a copy of its base, then flatten it'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virtimage-set-$PID"
$null = New-Item -ItemType Directory -Path $dir
$null = New-VirtImage (Join-Path $dir base.qcow2) -Size 64M
$null = New-VirtImage (Join-Path $dir top.qcow2) -BackingFile (Join-Path $dir base.qcow2)
$null = Convert-VirtImage (Join-Path $dir base.qcow2) (Join-Path $dir copy.qcow2)
(Set-VirtImage (Join-Path $dir top.qcow2) -BackingFile (Join-Path $dir copy.qcow2) -Unsafe -PassThru).BackingFile
(Set-VirtImage (Join-Path $dir top.qcow2) -RemoveBackingFile -PassThru).BackingFile -eq $null
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'copy.qcow2 has the same data as base.qcow2, so an unsafe rebase (header only) is enough. -RemoveBackingFile leaves top.qcow2 without a backing file.'
        }
    )

    RelatedLinks = @('Merge-VirtImage', 'New-VirtImage', 'Get-VirtImage', 'about_VirtTest')
}
