# Help source for New-VirtImage (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Creates a disk image (qcow2, raw, ...) with qemu-img, optionally as an overlay on a backing file.'

    Description = @(
        'New-VirtImage runs qemu-img create with an argument list (never through a shell) and writes the new image''s ImageInfo, as Get-VirtImage reads it. The format is qcow2 unless -Format says otherwise; -Size is the virtual size the guest sees. With -BackingFile the image is an overlay (copy-on-write) on that file: it starts empty, reads fall through to the backing file, and -Size may be left out to take the backing file''s size. The backing file''s path is resolved against the current location and recorded in the header as a full path; its format is read from the file unless -BackingFormat gives it.'
        'Errors name the image: an existing file without -Force is VirtTest.ImageExists, a size that is not a size is VirtTest.ImageArgument (before qemu-img runs), an unknown format is VirtTest.UnsupportedImageFormat, a missing backing file VirtTest.ImageNotFound. Env processing (create_image = yes in a test''s params) creates images with the same code.'
    )

    Parameters  = @{
        Path          = 'Specifies the file to create. A relative path is resolved against the current location. Binds from the Path or FullName property of piped objects.'
        Size          = 'Specifies the virtual size: a byte count (PowerShell''s 1GB works) or qemu-img''s notation, a number with K, M, G, T, P or E (binary units; 1.5G is allowed). Needed unless -BackingFile is given.'
        Format        = 'Specifies the image format: qcow2 (the default), raw, qed, vmdk, vdi, vhdx, vpc, or any other format qemu-img can create.'
        BackingFile   = 'Specifies a backing file: the new image is an overlay on it and records its full path.'
        BackingFormat = 'Specifies the backing file''s format. When omitted it is read from the backing file with qemu-img info.'
        Preallocation = 'Specifies how much to allocate now: Off (sparse, the default), Metadata (qcow2 metadata written now), Falloc (space reserved with fallocate) or Full (everything written).'
        ClusterSize   = 'Specifies the cluster size of formats that have one (qcow2: a power of two from 512 bytes to 2M; 64K by default), as bytes or with a unit (64K).'
        Option        = 'Specifies more qemu-img -o options in its own syntax, for example ''lazy_refcounts=on'' or ''compat=0.10,refcount_bits=16''.'
        Force         = 'Overwrites an existing file. Without it an existing file is a VirtTest.ImageExists error and is left as it is.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'The path of the image to create, by value or from the Path or FullName property.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Storage.ImageInfo'; Description = 'The new image: Path, Format, VirtualSize, ActualSize, ClusterSize, BackingFile, FullBackingFile, BackingFormat, Snapshots and the format''s own fields.' }
    )

    Notes       = @(
        'qemu-img must be installed (Debian: qemu-utils). Images are created sparse unless -Preallocation says otherwise, so ActualSize is much smaller than VirtualSize at first.'
    )

    Examples    = @(
        @{
            Title   = 'Create a qcow2 image and an overlay on it'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virtimage-new-$PID"
$null = New-Item -ItemType Directory -Path $dir
$base = New-VirtImage -Path (Join-Path $dir base.qcow2) -Size 1G
$top = New-VirtImage -Path (Join-Path $dir top.qcow2) -BackingFile $base.Path
$base, $top | Format-Table
$top.BackingFormat
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'The overlay takes its size (1 GiB) and its backing format (qcow2) from the base image.'
        }
        @{
            Title   = 'Preallocated raw image with a size in bytes'
            Code    = @'
$file = Join-Path ([System.IO.Path]::GetTempPath()) "virtimage-raw-$PID.img"
New-VirtImage $file -Size 16MB -Format raw -Preallocation Falloc | Select-Object Format, VirtualSize, ActualSize
Remove-Item -LiteralPath $file
'@
            Remarks = '16MB is PowerShell''s byte count (16777216); Falloc reserves the space, so ActualSize equals the virtual size.'
        }
    )

    RelatedLinks = @('Get-VirtImage', 'Convert-VirtImage', 'Set-VirtImage', 'Test-VirtImage', 'about_VirtTest')
}
