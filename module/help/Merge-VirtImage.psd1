# Help source for Merge-VirtImage (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Writes an overlay''s data into its backing file (qemu-img commit), with progress.'

    Description = @(
        'Merge-VirtImage is the commit of qemu-img, named with PowerShell''s Merge verb: the data written to an overlay is copied down into its backing file (or, with -Base, into an image further down the chain, through the images between), so the backing file then holds what the overlay showed. A progress bar follows qemu-img''s percentage. Afterwards the overlay is emptied (it still points to its backing file and shows the same data) unless -KeepData.'
        'An overlay without a backing file is a VirtTest.ImageArgument error; an image a running VM holds is VirtTest.ImageLocked.'
    )

    Parameters  = @{
        Path     = 'Specifies the overlays. Wildcards and PowerShell paths are resolved. Accepts strings, files (FullName) and ImageInfo objects (Path) from the pipeline.'
        Base     = 'Specifies the image in the backing chain to write into. By default the overlay''s own backing file.'
        KeepData = 'Keeps the overlay''s data in the overlay as well (qemu-img commit -d). By default the overlay is emptied.'
        Format   = 'Specifies the overlay''s format (probed when omitted). Binds from the Format property of piped objects.'
        PassThru = 'Writes the ImageInfo of the image that received the data. By default Merge-VirtImage writes nothing.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Overlay paths, by value or from the Path, FullName or ImagePath property.' }
    )

    Outputs     = @(
        @{ Type = 'None'; Description = 'By default, nothing.' }
        @{ Type = 'VirtTest.Core.Storage.ImageInfo'; Description = 'With -PassThru, the image that received the data.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Commit an overlay''s data into its base'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virtimage-merge-$PID"
$null = New-Item -ItemType Directory -Path $dir
$raw = Join-Path $dir data.raw
$bytes = [byte[]]::new(1MB); [System.Random]::new(3).NextBytes($bytes)
[System.IO.File]::WriteAllBytes($raw, $bytes)
$base = New-VirtImage (Join-Path $dir base.qcow2) -Size 1M
# An overlay holding the data: a converted copy, then given base.qcow2 as backing file (header only).
$top = Convert-VirtImage $raw (Join-Path $dir top.qcow2) -SourceFormat raw
$null = Set-VirtImage $top.Path -BackingFile $base.Path -Unsafe
(Compare-VirtImage $raw $base.Path).Identical
$top | Merge-VirtImage -PassThru | Select-Object Path, ActualSize
(Compare-VirtImage $raw $base.Path).Identical
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'Before the commit the base image is empty (False); afterwards it holds the data (True).'
        }
    )

    RelatedLinks = @('Set-VirtImage', 'New-VirtImage', 'Compare-VirtImage', 'about_VirtTest')
}
