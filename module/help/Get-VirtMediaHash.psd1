# Help source for Get-VirtMediaHash (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Computes the MD5 and SHA1 checksums of install media, of the first MiB and of the whole file.'

    Description = @(
        'Get-VirtMediaHash is the cd_hash of test code: for each file (an ISO image, a disk image) it writes a MediaHash with the Path, the Length in bytes, and the MD5 and SHA1 checksums of the first -PrefixMiB MiB (Md5Prefix, Sha1Prefix) and of the whole file (Md5, Sha1), as lower-case hexadecimal. The prefix sums identify a medium quickly; the whole-file sums check it completely.'
        'The file is read once, in chunks, so large images do not need much memory. When the file is shorter than the prefix, the prefix sums are those of the whole file. A path that does not exist is a non-terminating VirtTest.PathNotFound error. Press Ctrl+C to stop hashing a large file.'
    )

    Parameters  = @{
        Path      = 'Specifies the files to hash. Wildcards and PowerShell paths are resolved. Accepts strings, and files from Get-ChildItem (by their FullName), from the pipeline.'
        PrefixMiB = 'Specifies how many MiB at the start of the file the prefix sums cover. The default is 1, as cd_hash uses; 0 gives the sums of no data.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Paths of files, by value or from the FullName property (for example files from Get-ChildItem).' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Transfer.MediaHash'; Description = 'Path (the full path), Length, PrefixMiB, Md5Prefix, Sha1Prefix, Md5 and Sha1 of each file.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Hash a file and compare with Get-FileHash'
            Code    = @'
$file = New-TemporaryFile
$bytes = [byte[]]::new(3MB)
[System.Random]::new(1).NextBytes($bytes)
[System.IO.File]::WriteAllBytes($file.FullName, $bytes)
$hash = Get-VirtMediaHash -Path $file.FullName
$hash | Format-List
$hash.Md5 -eq (Get-FileHash -LiteralPath $file.FullName -Algorithm MD5).Hash.ToLowerInvariant()
Remove-Item -LiteralPath $file
'@
            Remarks = 'Writes 3 MiB of pseudo-random bytes to a temporary file, hashes it and checks the whole-file MD5 against Get-FileHash (which prints upper-case hexadecimal).'
        }
        @{
            Title   = 'Hash the test guest''s files'
            Code    = 'Get-ChildItem ./.build/guest -File | Get-VirtMediaHash -PrefixMiB 2 | Select-Object Path, Length, Md5Prefix'
            Remarks = 'Files from Get-ChildItem bind by their FullName; the prefix sums cover the first 2 MiB.'
        }
    )

    RelatedLinks = @('Copy-VirtGuestItem', 'Get-FileHash', 'about_VirtTest')
}
