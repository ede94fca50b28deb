# Help source for Get-VirtImage (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Gets what qemu-img knows about disk images: format, sizes, backing file, internal snapshots.'

    Description = @(
        'Get-VirtImage runs qemu-img info --output=json on each image and writes an ImageInfo: Path, Format, VirtualSize (what the guest sees), ActualSize (what the file takes on the host), ClusterSize, BackingFile (as the header records it), FullBackingFile (resolved), BackingFormat, DirtyFlag, Encrypted, Snapshots (internal snapshots), and for qcow2 Compat, LazyRefcounts and Corrupt; FormatSpecific has all of the format''s own fields.'
        'With -BackingChain it also writes every image below it in the backing chain, the image asked for first; Depth is 0 for it, 1 for its backing file and so on.'
        'A missing image is a VirtTest.ImageNotFound error (naming the backing file when that is what is missing), an image a running VM holds is VirtTest.ImageLocked (use -ForceShare to read it anyway), a format name qemu-img does not know is VirtTest.UnsupportedImageFormat. Errors are non-terminating: the other images are still read.'
    )

    Parameters  = @{
        Path         = 'Specifies the images. Wildcards and PowerShell paths are resolved. Accepts strings, files from Get-ChildItem (FullName) and objects with a Path or ImagePath property.'
        Format       = 'Specifies the image''s format. When omitted qemu-img probes it (raw images then get a warning from qemu-img). Binds from the Format property of piped objects.'
        BackingChain = 'Also writes the backing file, its backing file, and so on.'
        ForceShare   = 'Reads an image that a running VM holds (qemu-img -U). The answer may be stale while the VM writes.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Image paths, by value or from the Path, FullName or ImagePath property.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Storage.ImageInfo'; Description = 'One per image (and per backing file with -BackingChain).' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Inspect an overlay and its backing chain'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virtimage-get-$PID"
$null = New-Item -ItemType Directory -Path $dir
$null = New-VirtImage (Join-Path $dir base.qcow2) -Size 64M
$null = New-VirtImage (Join-Path $dir top.qcow2) -BackingFile (Join-Path $dir base.qcow2)
Get-VirtImage (Join-Path $dir top.qcow2) -BackingChain | Select-Object Depth, Format, VirtualSize, BackingFile
Get-ChildItem $dir -Filter *.qcow2 | Get-VirtImage | Format-Table
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'The chain lists top.qcow2 (Depth 0) and base.qcow2 (Depth 1). Files from Get-ChildItem bind by their FullName.'
        }
        @{
            Title   = 'A missing image is a typed error'
            Code    = @'
Get-VirtImage ./no-such-image.qcow2 -ErrorAction SilentlyContinue -ErrorVariable e
$e[0].FullyQualifiedErrorId
'@
            Remarks = 'Resolving the path fails first (VirtTest.PathNotFound); a missing backing file of an existing image is VirtTest.ImageNotFound.'
        }
    )

    RelatedLinks = @('New-VirtImage', 'Test-VirtImage', 'Get-VirtImageSnapshot', 'about_VirtTest')
}
