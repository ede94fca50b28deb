# Help source for Resize-VirtImage (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Changes the virtual size of disk images (qemu-img resize).'

    Description = @(
        'Resize-VirtImage runs qemu-img resize and writes the image''s new ImageInfo. -Size is the new size (20GB, "20G") or a change ("+1G", "-512M"). Growing adds space the guest sees as empty; the partitions and file systems in it are not grown. Shrinking cuts off the data past the new end, so it is refused (a VirtTest.QemuImg error) unless -Shrink is given.'
        'An image a running VM holds is a VirtTest.ImageLocked error: resize a running VM''s disk through the VM instead. A size that is not a size is a VirtTest.ImageArgument error before qemu-img runs.'
    )

    Parameters  = @{
        Path          = 'Specifies the images. Wildcards and PowerShell paths are resolved. Accepts strings, files (FullName) and ImageInfo objects (Path) from the pipeline.'
        Size          = 'Specifies the new size: bytes or a number with K, M, G, T, P or E; with a leading + or - a change of the current size.'
        Format        = 'Specifies the image''s format (probed when omitted). Binds from the Format property of piped objects.'
        Shrink        = 'Allows making the image smaller. The data past the new end is lost.'
        Preallocation = 'Specifies how the added space is allocated: Off, Metadata, Falloc or Full.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Image paths, by value or from the Path, FullName or ImagePath property.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Storage.ImageInfo'; Description = 'The image after the resize.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Grow an image by 1 GiB, then shrink it back'
            Code    = @'
$file = Join-Path ([System.IO.Path]::GetTempPath()) "virtimage-resize-$PID.qcow2"
$null = New-VirtImage $file -Size 1G
(Resize-VirtImage $file -Size +1G).VirtualSize
(Get-VirtImage $file | Resize-VirtImage -Size 1G -Shrink).VirtualSize
Remove-Item -LiteralPath $file
'@
            Remarks = 'Prints 2147483648, then 1073741824.'
        }
    )

    RelatedLinks = @('Get-VirtImage', 'New-VirtImage', 'about_VirtTest')
}
