# Help source for Copy-VirtGuestItem (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every VM an
# example creates, and every file, must be removed by the example itself.
@{
    Synopsis    = 'Copies files and folders between the host and a guest over SSH (SFTP) or the Windows guest agent (RSS), checking every copy.'

    Description = @(
        'Copy-VirtGuestItem copies a file, or with -Recurse a folder with everything in it, to the guest (-ToGuest) or from the guest (-FromGuest), through an SSH session from Connect-VirtSession -Transport Ssh or Wait-VirtLogin -Transport Ssh. The copy runs over SFTP on a second connection with the session''s login, which must present the host key the session accepted. It writes a TransferResult with the Direction, Source, Destination, the number of Files and Bytes copied, the Duration and whether the copies were Verified.'
        'Every copied file is checked unless -NoVerify is given: the SHA-256 of the host file must equal what sha256sum prints for the guest file. A difference, a missing source, a refused SFTP operation or a lost connection is a VirtTest.Transfer error. A downloaded file is written under a temporary name (<name>.virttest-part) and renamed once checked, so a failed download leaves no partial file under the real name.'
        'A file is copied to exactly the -Destination path (missing parent folders are created; an existing file is replaced). A folder is copied into the -Destination folder, which is created when missing. Guest paths are absolute or relative to the login''s home folder; ~ is not expanded. Host paths are PowerShell paths, relative to the current location. Permissions and times are not copied.'
        'A serial session cannot carry files: Copy-VirtGuestItem then stops with a VirtTest.TransferNeedsSsh error (category InvalidArgument). A progress bar shows the file being copied and the bytes done.'
        'Windows guests: with a remote shell session (Connect-VirtSession -Transport Rss), with -Vm when the VM''s params say file_transfer_client = rss (or give no file_transfer_client and os_type = windows), or with -Address and -Protocol Rss, the copy uses the file transfer of the guest agent (rss.exe, guest port file_transfer_port, default 10023): files, folders (-Recurse) and wildcard patterns (* and ? in the last part of -Path), both ways. Where things go follows the agent: on the guest, an existing folder takes the entries, any other path names the single file uploaded; on the host, an existing folder takes the entries, a pattern''s entries go into a new folder of that name, and a single file or folder takes the -Destination name. Guest paths are Windows paths (C:\data, %SystemDrive%\data; at most 511 bytes).'
        'RSS copies are checked by size and by SHA-256 computed on the host for both copies, so the guest needs no hashing tool: an upload hashes what it sends and reads the guest''s copy back, a download hashes what it receives and reads the guest''s file a second time (a check costs a second transfer; -NoVerify skips it). The agent''s refusals carry its own message (VirtTest.RssServer); a connection refused or reset, also before the agent''s message could be read, is VirtTest.RssConnection; a copy past -TimeoutSec is VirtTest.TransferTimeout. A failed download leaves nothing: it is written under .virttest-part names (a new folder as one such folder) and renamed at the end.'
    )

    Parameters  = @{
        Session     = 'Specifies the session to copy through: an SSH session (SFTP) or a remote shell session of a Windows guest (Connect-VirtSession -Transport Rss; the copy uses the same agent''s file transfer).'
        Vm          = 'Specifies a running VM: its params choose the protocol as the reference''s copy_files_to does. file_transfer_client = rss copies through the guest agent on file_transfer_port (default 10023; with user-mode networking add file_transfer to redirs and set guest_port_file_transfer); scp or sftp copies over SFTP with the SSH login from the params (username, password, ssh_key, shell_port). Without file_transfer_client, os_type = windows means rss.'
        Address     = 'Specifies a host running the guest agent, without a VM object: its file transfer is reached at -Address and -Port.'
        Port        = 'Specifies the agent''s file-transfer port at -Address. The default is 10023.'
        Protocol    = 'Specifies the protocol at -Address: Rss (the default). Sftp needs a login: open an SSH session with Connect-VirtSession -Address -Transport Ssh and pass it to -Session.'
        ChunkSize   = 'Specifies, for RSS copies, how many bytes go in one data packet: 512 to 1048576. The default is 65536.'
        TimeoutSec  = 'Specifies, for RSS copies, the deadline in seconds for the whole copy, checks included. The default is 1800.'
        Path        = 'Specifies what to copy: a host file or folder with -ToGuest, a guest file or folder with -FromGuest. Accepts strings, and the FullName of files from Get-ChildItem, from the pipeline. SFTP copies expand no wildcards; RSS copies take * and ? in the last part (a pattern that matches nothing is an error).'
        Destination = 'Specifies where to put the copy: the guest path with -ToGuest, the host path with -FromGuest. For a file it is the path of the new file, not the folder it goes into.'
        ToGuest     = 'Copies from the host to the guest: -Path is a host path and -Destination a guest path.'
        FromGuest   = 'Copies from the guest to the host: -Path is a guest path and -Destination a host path.'
        Recurse     = 'Copies the folder -Path with all its files and subfolders (empty ones too) into the folder -Destination. Without -Recurse, -Path must be a file.'
        NoVerify    = 'Skips the check after each copy (SFTP: sha256sum on the guest, for guests without it; RSS: the second transfer). The Verified property of the result is False then.'
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
        @{
            Title   = 'Copy to a Windows guest''s agent by address'
            Code    = @'
Copy-VirtGuestItem -Address 192.0.2.10 -Path ./tools/*.exe -Destination 'C:\tools' -ToGuest -WhatIf
Copy-VirtGuestItem -Address 192.0.2.10 -Port 10023 -Path 'C:\logs\*.log' -Destination ./guest-logs -FromGuest -WhatIf
'@
            Remarks = 'Shows (-WhatIf) what the two copies would do: every .exe of ./tools into the existing guest folder C:\tools, and every .log of C:\logs into the new host folder ./guest-logs, through the file transfer of the agent at 192.0.2.10 (port 10023). Without -WhatIf they run, each copy checked by size and SHA-256 of both copies.'
        }
    )

    RelatedLinks = @('Connect-VirtSession', 'Wait-VirtLogin', 'Get-VirtMediaHash', 'Invoke-VirtSessionCommand', 'about_VirtTest')
}
