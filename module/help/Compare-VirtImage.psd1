# Help source for Compare-VirtImage (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Compares the guest-visible data of disk images (qemu-img compare).'

    Description = @(
        'Compare-VirtImage runs qemu-img compare between -ReferencePath and each -DifferencePath and writes an ImageCompareResult: Identical, Message (qemu-img''s verdict) and MismatchOffset (where the data first differs, as the offset of that 512-byte sector). Images of different formats and allocation compare as identical when the guest would read the same bytes; an image shorter than the other is compared as if padded with zeroes. With -Strict, sizes and allocation must match as well.'
        'Different images are a result (Identical = False), not an error. A missing image is a VirtTest.ImageNotFound error, an image a running VM holds VirtTest.ImageLocked (read it anyway with -ForceShare).'
    )

    Parameters  = @{
        ReferencePath    = 'Specifies the image to compare with (one file).'
        DifferencePath   = 'Specifies the images compared with the reference. Wildcards are resolved. Accepts strings, files (FullName) and ImageInfo objects (Path) from the pipeline.'
        ReferenceFormat  = 'Specifies the reference image''s format (probed when omitted).'
        DifferenceFormat = 'Specifies the other images'' format (probed when omitted).'
        Strict           = 'Also requires the same size and the same allocation (qemu-img compare -s).'
        ForceShare       = 'Reads images that a running VM holds (qemu-img -U).'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Paths of the images to compare with the reference, by value or from the Path or FullName property.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Storage.ImageCompareResult'; Description = 'One per compared image.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'An empty qcow2 image and an empty raw file are identical; a changed one is not'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virtimage-compare-$PID"
$null = New-Item -ItemType Directory -Path $dir
$qcow = New-VirtImage (Join-Path $dir empty.qcow2) -Size 1M
$raw = Join-Path $dir zero.raw
[System.IO.File]::WriteAllBytes($raw, [byte[]]::new(1MB))
$changed = Join-Path $dir changed.raw
$bytes = [byte[]]::new(1MB); $bytes[4096] = 1
[System.IO.File]::WriteAllBytes($changed, $bytes)
Get-ChildItem $dir -Filter *.raw | Compare-VirtImage -ReferencePath $qcow.Path | Format-Table
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'changed.raw differs at offset 4096 (MismatchOffset 4096); zero.raw is identical to the empty qcow2 image.'
        }
    )

    RelatedLinks = @('Convert-VirtImage', 'Get-VirtImage', 'about_VirtTest')
}
