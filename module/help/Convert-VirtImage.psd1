# Help source for Convert-VirtImage (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Converts a disk image to a new file in another format (qemu-img convert), with progress.'

    Description = @(
        'Convert-VirtImage runs qemu-img convert -p from -Path to -Destination and writes the new image''s ImageInfo. The destination''s format is qcow2 unless -Format says otherwise; the data the guest sees is the same (Compare-VirtImage checks it), and a backing chain is flattened into the new file. A progress bar follows qemu-img''s own percentage.'
        'An existing destination is a VirtTest.ImageExists error unless -Force. A destination that Convert-VirtImage created is deleted again when the conversion fails or is stopped with Ctrl+C. A source that a running VM holds is VirtTest.ImageLocked (read it anyway with -ForceShare; the copy may then be inconsistent).'
    )

    Parameters  = @{
        Path          = 'Specifies the source image. Wildcards and PowerShell paths are resolved. Accepts strings, files from Get-ChildItem (FullName) and ImageInfo objects (Path) from the pipeline.'
        Destination   = 'Specifies the file to write. A relative path is resolved against the current location.'
        Format        = 'Specifies the destination''s format: qcow2 (the default), raw, vmdk, vdi, vhdx, vpc, qed ...'
        SourceFormat  = 'Specifies the source''s format (probed when omitted).'
        Compress      = 'Compresses the destination''s data (qcow2 and vmdk): smaller, slower to write.'
        Preallocation = 'Specifies the destination''s preallocation: Off, Metadata, Falloc or Full.'
        ClusterSize   = 'Specifies the destination''s cluster size (64K, bytes).'
        ForceShare    = 'Reads a source that a running VM holds (qemu-img -U).'
        Force         = 'Overwrites an existing destination.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'The source path, by value or from the Path or FullName property.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Storage.ImageInfo'; Description = 'The destination image.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Round trip qcow2 -> raw -> qcow2 and compare'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virtimage-convert-$PID"
$null = New-Item -ItemType Directory -Path $dir
$raw = Join-Path $dir data.raw
$bytes = [byte[]]::new(4MB); [System.Random]::new(7).NextBytes($bytes)
[System.IO.File]::WriteAllBytes($raw, $bytes)
$qcow = Convert-VirtImage $raw (Join-Path $dir data.qcow2) -SourceFormat raw
$back = $qcow | Convert-VirtImage -Destination (Join-Path $dir back.raw) -Format raw
(Compare-VirtImage $raw $back.Path).Identical
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'Writes 4 MiB of pseudo-random data, converts it to qcow2 and back to raw, and checks that the guest-visible data is the same.'
        }
    )

    RelatedLinks = @('Compare-VirtImage', 'New-VirtImage', 'Get-VirtImage', 'about_VirtTest')
}
