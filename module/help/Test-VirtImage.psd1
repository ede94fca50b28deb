# Help source for Test-VirtImage (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Checks disk images for corruptions and leaked clusters (qemu-img check), optionally repairing them.'

    Description = @(
        'Test-VirtImage runs qemu-img check --output=json on each image and writes an ImageCheckResult: Corruptions (metadata errors: data may be damaged), Leaks (clusters allocated but unused: space lost, data safe), CheckErrors (parts the check could not read), CorruptionsFixed and LeaksFixed (with -Repair), cluster counts, Messages (qemu-img''s line per problem, such as "ERROR cluster 10 refcount=0 reference=1") and IsClean. A damaged image is a result, not an error; Describe() says it in one line.'
        'With -Repair Leaks the leaked clusters are freed; with -Repair All corruptions are fixed as well, which may drop data that was already unreachable. The counts are those left after the repair. Repairing writes the image, so it asks for confirmation under -Confirm and does nothing under -WhatIf.'
        'Only formats with metadata can be checked (qcow2, qed, vdi, vhdx, parallels): a raw image is a VirtTest.UnsupportedImageFormat error. An image a running VM holds is VirtTest.ImageLocked (check it anyway with -ForceShare; a live image may show leaks that are not real). The check after a test (check_image = yes in the params) uses the same code.'
    )

    Parameters  = @{
        Path       = 'Specifies the images. Wildcards and PowerShell paths are resolved. Accepts strings, files from Get-ChildItem (FullName) and ImageInfo objects (Path).'
        Format     = 'Specifies the image''s format (probed when omitted). Binds from the Format property of piped objects.'
        Repair     = 'Specifies what to repair: None (the default: only check), Leaks, or All (leaks and corruptions).'
        ForceShare = 'Checks an image that a running VM holds (qemu-img -U). Cannot be combined with -Repair.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Image paths, by value or from the Path, FullName or ImagePath property.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Storage.ImageCheckResult'; Description = 'One per image: counts of corruptions, leaks and check errors (after any repair), what was fixed, and qemu-img''s messages.' }
    )

    Notes       = @(
        'qemu-img check exits with 2 for corruptions and 3 for leaks; both are reported as results (ExitCode keeps the number). Only a check that could not run at all is an error.'
    )

    Examples    = @(
        @{
            Title   = 'Check a fresh image'
            Code    = @'
$file = Join-Path ([System.IO.Path]::GetTempPath()) "virtimage-test-$PID.qcow2"
$null = New-VirtImage $file -Size 64M
$result = Test-VirtImage $file
$result | Format-Table
$result.IsClean
Remove-Item -LiteralPath $file
'@
            Remarks = 'A new image has no corruptions and no leaks.'
        }
        @{
            Title   = 'Damage an image''s refcounts, then repair it'
            Code    = @'
$file = Join-Path ([System.IO.Path]::GetTempPath()) "virtimage-corrupt-$PID.qcow2"
$null = New-VirtImage $file -Size 64M
# Set the refcount of the L1 table's cluster (3) to 0: the cluster is used but counted free.
$bytes = [System.IO.File]::ReadAllBytes($file)
$refTable = [System.Net.IPAddress]::NetworkToHostOrder([System.BitConverter]::ToInt64($bytes, 48))
$refBlock = [System.Net.IPAddress]::NetworkToHostOrder([System.BitConverter]::ToInt64($bytes, [int]$refTable))
$stream = [System.IO.File]::OpenWrite($file)
$stream.Position = $refBlock + 2 * 3; $stream.Write([byte[]](0, 0), 0, 2); $stream.Dispose()
$damaged = Test-VirtImage $file
$damaged.Describe(); $damaged.Messages
(Test-VirtImage $file -Repair All).Describe()
(Test-VirtImage $file).IsClean
Remove-Item -LiteralPath $file
'@
            Remarks = 'The qcow2 header holds the refcount table''s offset at byte 48 (big-endian); the table''s first entry points to the first refcount block (16-bit counts, one per cluster). The check reports one corruption ("ERROR cluster 3 refcount=0 reference=1"); -Repair All rebuilds the counts ("1 corruption fixed") and the image is clean again.'
        }
    )

    RelatedLinks = @('Get-VirtImage', 'New-VirtImage', 'about_VirtTest')
}
