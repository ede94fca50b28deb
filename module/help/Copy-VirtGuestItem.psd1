# Help source for Copy-VirtGuestItem (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every VM an
# example creates, and every file, must be removed by the example itself.
@{
    Synopsis    = 'Copies files and folders between the host and a guest over SSH (SFTP), checking every copy.'

    Description = @(
        'Copy-VirtGuestItem copies a file, or with -Recurse a folder with everything in it, to the guest (-ToGuest) or from the guest (-FromGuest), through an SSH session from Connect-VirtSession -Transport Ssh or Wait-VirtLogin -Transport Ssh. The copy runs over SFTP on a second connection with the session''s login, which must present the host key the session accepted. It writes a TransferResult with the Direction, Source, Destination, the number of Files and Bytes copied, the Duration and whether the copies were Verified.'
        'Every copied file is checked unless -NoVerify is given: the SHA-256 of the host file must equal what sha256sum prints for the guest file. A difference, a missing source, a refused SFTP operation or a lost connection is a VirtTest.Transfer error. A downloaded file is written under a temporary name (<name>.virttest-part) and renamed once checked, so a failed download leaves no partial file under the real name.'
        'A file is copied to exactly the -Destination path (missing parent folders are created; an existing file is replaced). A folder is copied into the -Destination folder, which is created when missing. Guest paths are absolute or relative to the login''s home folder; ~ is not expanded. Host paths are PowerShell paths, relative to the current location. Permissions and times are not copied.'
        'A serial session cannot carry files: Copy-VirtGuestItem then stops with a VirtTest.TransferNeedsSsh error (category InvalidArgument). A progress bar shows the file being copied and the bytes done.'
    )

    Parameters  = @{
        Session     = 'Specifies the SSH session to copy through, from Connect-VirtSession -Transport Ssh or Wait-VirtLogin -Transport Ssh.'
        Path        = 'Specifies what to copy: a host file or folder with -ToGuest, a guest file or folder with -FromGuest. Accepts strings, and the FullName of files from Get-ChildItem, from the pipeline. Wildcards are not expanded.'
        Destination = 'Specifies where to put the copy: the guest path with -ToGuest, the host path with -FromGuest. For a file it is the path of the new file, not the folder it goes into.'
        ToGuest     = 'Copies from the host to the guest: -Path is a host path and -Destination a guest path.'
        FromGuest   = 'Copies from the guest to the host: -Path is a guest path and -Destination a host path.'
        Recurse     = 'Copies the folder -Path with all its files and subfolders (empty ones too) into the folder -Destination. Without -Recurse, -Path must be a file.'
        NoVerify    = 'Skips the SHA-256 check after each copy, for guests without sha256sum. The Verified property of the result is False then.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Paths to copy, by value or from the FullName property (for example files from Get-ChildItem).' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Transfer.TransferResult'; Description = 'One per copy: Direction (Upload or Download), Source, Destination, Files, Bytes, Duration and Verified.' }
    )

    Notes       = @(
        'The test guest has sha256sum (busybox) and an SFTP server; other guests need both for checked copies.'
    )

    Examples    = @(
        @{
            Title   = 'Copy a file to the guest and back'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name copy1
Start-VirtVm $vm
$ssh = Wait-VirtLogin $vm -Transport Ssh
$file = New-TemporaryFile
Set-Content -LiteralPath $file -Value 'hello guest'
Copy-VirtGuestItem $ssh $file.FullName /tmp/hello.txt -ToGuest
(Invoke-VirtSessionCommand $ssh 'cat /tmp/hello.txt').Output
Copy-VirtGuestItem $ssh /tmp/hello.txt "$file.back" -FromGuest
Get-Content -LiteralPath "$file.back"
Remove-Item -LiteralPath $file, "$file.back"
Remove-VirtVm $vm
'@
            Remarks = 'Uploads a small host file, shows it from the guest and downloads it again under another name. Both copies are checked by SHA-256.'
        }
        @{
            Title   = 'Copy a folder with -Recurse'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name copy2
Start-VirtVm $vm
$ssh = Wait-VirtLogin $vm -Transport Ssh
$dir = New-Item -ItemType Directory -Path (Join-Path ([IO.Path]::GetTempPath()) "vt-copy-$PID")
$null = New-Item -ItemType Directory -Path "$dir/sub"
Set-Content -LiteralPath "$dir/a.txt" -Value 'a'
Set-Content -LiteralPath "$dir/sub/b.txt" -Value 'b'
Copy-VirtGuestItem $ssh $dir.FullName /root/data -ToGuest -Recurse | Format-Table
(Invoke-VirtSessionCommand $ssh 'find /root/data -type f | sort').Output
Remove-Item -LiteralPath $dir -Recurse
Remove-VirtVm $vm
'@
            Remarks = 'Uploads a folder with a subfolder into /root/data on the guest and lists the files that arrived.'
        }
    )

    RelatedLinks = @('Connect-VirtSession', 'Wait-VirtLogin', 'Get-VirtMediaHash', 'Invoke-VirtSessionCommand', 'about_VirtTest')
}
