# Pester tests for moving data in and out of guests: Copy-VirtGuestItem (files and folders over
# SFTP, both ways, checked by SHA-256) on one booted test guest (tag Guest), removed in AfterAll
# also after failures; and Get-VirtMediaHash (cd_hash's MD5/SHA1 sums), which needs no VM.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $ProgressPreference = 'SilentlyContinue'

    # Writes $Length random bytes to a new file $Path.
    function New-RandomFile([string] $Path, [long] $Length) {
        $bytes = [byte[]]::new($Length)
        [System.Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
        [System.IO.File]::WriteAllBytes($Path, $bytes)
        Get-Item -LiteralPath $Path
    }

    # Relative path (with /) and SHA-256 of every file under $Root, sorted: "sub/b.txt=HASH".
    function Get-TreeHash([string] $Root) {
        $rootFull = (Resolve-Path -LiteralPath $Root).ProviderPath.TrimEnd('/') + '/'
        @(Get-ChildItem -LiteralPath $Root -Recurse -File -Force | ForEach-Object {
                '{0}={1}' -f $_.FullName.Substring($rootFull.Length), (Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash
            } | Sort-Object)
    }

    # Hash (lower case, like MediaHash) of the first $Count bytes of $Bytes.
    function Get-BytesHash([byte[]] $Bytes, [int] $Count, [string] $Algorithm) {
        $stream = [System.IO.MemoryStream]::new($Bytes, 0, $Count)
        try {
            (Get-FileHash -InputStream $stream -Algorithm $Algorithm).Hash.ToLowerInvariant()
        }
        finally {
            $stream.Dispose()
        }
    }
}

Describe 'Copy-VirtGuestItem' -Tag 'Guest' {
    BeforeAll {
        $script:vm = New-VirtVm -TestGuest -Name cgi-vm
        $vm | Start-VirtVm
        $script:ssh = Wait-VirtLogin -Vm $vm -Transport Ssh -TimeoutSec 60
        $script:work = Join-Path $TestDrive 'copy'
        $null = New-Item -ItemType Directory -Path $work
    }
    AfterAll {
        Get-VirtVm -Name cgi-vm -ErrorAction SilentlyContinue | Remove-VirtVm
    }

    It 'copies a file of a few MiB to the guest unchanged' {
        $script:original = New-RandomFile (Join-Path $work 'random.bin') (3MB + 4321)
        $result = Copy-VirtGuestItem -Session $ssh -Path $original.FullName -Destination /root/up/random.bin -ToGuest
        $result | Should -BeOfType ([VirtTest.Core.Transfer.TransferResult])
        $result.Direction | Should -Be 'Upload'
        $result.Source | Should -Be $original.FullName
        $result.Destination | Should -Be '/root/up/random.bin'
        $result.Files | Should -Be 1
        $result.Bytes | Should -Be $original.Length
        $result.Verified | Should -BeTrue
        $result.Duration | Should -BeGreaterThan ([timespan]::Zero)
        # Checked independently on the guest as well.
        $guest = Invoke-VirtSessionCommand $ssh 'stat -c %s /root/up/random.bin; sha256sum /root/up/random.bin'
        $lines = $guest.Output.Trim() -split "`n"
        [long]$lines[0] | Should -Be $original.Length
        ($lines[1] -split '\s+')[0] | Should -Be (Get-FileHash -LiteralPath $original.FullName -Algorithm SHA256).Hash.ToLowerInvariant()
    }

    It 'copies it back from the guest unchanged' {
        $back = Join-Path $work 'back/random.bin'
        $result = Copy-VirtGuestItem $ssh /root/up/random.bin $back -FromGuest
        $result.Direction | Should -Be 'Download'
        $result.Destination | Should -Be $back
        $result.Bytes | Should -Be $original.Length
        $result.Verified | Should -BeTrue
        (Get-FileHash -LiteralPath $back).Hash | Should -Be (Get-FileHash -LiteralPath $original.FullName).Hash
        Get-ChildItem -LiteralPath (Split-Path $back) -Filter '*.virttest-part' | Should -BeNullOrEmpty
    }

    It 'resolves host paths relative to the current location and takes files from the pipeline' {
        Push-Location -LiteralPath $work
        try {
            $result = Get-Item -LiteralPath $original.FullName | Copy-VirtGuestItem -Session $ssh -Destination /tmp/piped.bin -ToGuest
            $result.Bytes | Should -Be $original.Length
            $null = Copy-VirtGuestItem $ssh /tmp/piped.bin ./relative.bin -FromGuest
            (Get-FileHash -LiteralPath (Join-Path $work 'relative.bin')).Hash | Should -Be (Get-FileHash -LiteralPath $original.FullName).Hash
        }
        finally {
            Pop-Location
        }
    }

    It 'copies a folder with -Recurse to the guest and back' {
        $tree = Join-Path $work 'tree'
        $null = New-Item -ItemType Directory -Path "$tree/sub/deeper", "$tree/empty"
        $null = New-RandomFile "$tree/blob.bin" 1MB
        $null = New-RandomFile "$tree/sub/deeper/small.bin" 17
        Set-Content -LiteralPath "$tree/sub/notes.txt" -Value 'some text'
        Set-Content -LiteralPath "$tree/.hidden" -Value 'dot file'
        $expected = Get-TreeHash $tree
        $expected.Count | Should -Be 4

        $up = Copy-VirtGuestItem $ssh $tree /root/tree -ToGuest -Recurse
        $up.Direction | Should -Be 'Upload'
        $up.Files | Should -Be 4
        $up.Bytes | Should -Be ((Get-ChildItem -LiteralPath $tree -Recurse -File -Force | Measure-Object -Property Length -Sum).Sum)
        $up.Verified | Should -BeTrue
        $listing = (Invoke-VirtSessionCommand $ssh 'cd /root/tree && find . | sort').Output.Trim() -split "`n"
        $listing | Should -Be @('.', './.hidden', './blob.bin', './empty', './sub', './sub/deeper', './sub/deeper/small.bin', './sub/notes.txt')

        $back = Join-Path $work 'tree-back'
        $down = Copy-VirtGuestItem $ssh /root/tree $back -FromGuest -Recurse
        $down.Direction | Should -Be 'Download'
        $down.Files | Should -Be 4
        $down.Verified | Should -BeTrue
        Get-TreeHash $back | Should -Be $expected
        Test-Path -LiteralPath "$back/empty" -PathType Container | Should -BeTrue
        Get-ChildItem -LiteralPath $back -Recurse -Filter '*.virttest-part' | Should -BeNullOrEmpty
    }

    It 'skips the check with -NoVerify' {
        $file = New-RandomFile (Join-Path $work 'unchecked.bin') 1000
        $result = Copy-VirtGuestItem $ssh $file.FullName /tmp/unchecked.bin -ToGuest -NoVerify
        $result.Verified | Should -BeFalse
        $result.Bytes | Should -Be 1000
    }

    It 'writes nothing with -WhatIf' {
        $result = Copy-VirtGuestItem $ssh $original.FullName /tmp/whatif.bin -ToGuest -WhatIf
        $result | Should -BeNullOrEmpty
        (Invoke-VirtSessionCommand $ssh 'test -e /tmp/whatif.bin' -IgnoreExitCode).ExitCode | Should -Be 1
    }

    It 'is a VirtTest.Transfer error to copy what does not exist' {
        Copy-VirtGuestItem $ssh /no/such/file (Join-Path $work 'never.bin') -FromGuest -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.Transfer,*'
        "$($errs[0])" | Should -Match '/no/such/file'
        Test-Path -LiteralPath (Join-Path $work 'never.bin') | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $work 'never.bin.virttest-part') | Should -BeFalse

        Copy-VirtGuestItem $ssh (Join-Path $work 'no-such-file') /tmp/x -ToGuest -ErrorVariable errs2 -ErrorAction SilentlyContinue
        $errs2.Count | Should -Be 1
        $errs2[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.Transfer,*'
        "$($errs2[0])" | Should -Match 'no-such-file'
    }

    It 'refuses a serial session with a clear error' {
        $serial = Connect-VirtSession -Vm $vm -Transport Serial -TimeoutSec 30
        try {
            $caught = $null
            try {
                Copy-VirtGuestItem $serial $original.FullName /tmp/serial.bin -ToGuest -ErrorAction SilentlyContinue
            }
            catch {
                $caught = $_
            }
            $caught | Should -Not -BeNullOrEmpty -Because 'a serial session cannot carry files'
            $caught.FullyQualifiedErrorId | Should -BeLike 'VirtTest.TransferNeedsSsh,*'
            $caught.CategoryInfo.Category | Should -Be 'InvalidArgument'
            "$caught" | Should -Match 'SSH session'
            "$caught" | Should -Match 'Connect-VirtSession -Transport Ssh'
            (Invoke-VirtSessionCommand $ssh 'test -e /tmp/serial.bin' -IgnoreExitCode).ExitCode | Should -Be 1
        }
        finally {
            Disconnect-VirtSession $serial
        }
    }

    It 'shows results as a table of direction, files, bytes, duration and verification' {
        $result = Copy-VirtGuestItem $ssh $original.FullName /tmp/table.bin -ToGuest
        $text = $result | Format-Table | Out-String -Width 200
        $text | Should -Match 'Direction\s+Files\s+Bytes\s+Duration\s+Verified'
        $text | Should -Match "Upload\s+1\s+$($original.Length)\s+\d\d:\d\d:\d\d\.\d{3}\s+True"
    }

    It 'leaves no SFTP connection open, and Remove-VirtVm closes the session' {
        # Each copy opens an SFTP connection of its own and closes it when done: only the
        # session's connection to the forwarded SSH port is left.
        $connections = {
            @(ss -tnpH state established "( dport = :$($ssh.Port) )" 2>$null | Where-Object { $_ -match "pid=$PID," })
        }
        $haveSs = [bool](Get-Command ss -ErrorAction SilentlyContinue)
        if ($haveSs) {
            $open = @(& $connections)
            $open.Count | Should -Be 1 -Because "only the session's own connection stays open ($($open -join '; '))"
        }
        Remove-VirtVm $vm
        $ssh.IsOpen | Should -BeFalse
        if ($haveSs) {
            @(& $connections).Count | Should -Be 0
        }
        @(Get-VirtSession | Where-Object { $_.VmName -eq 'cgi-vm' }) | Should -BeNullOrEmpty
    }
}

Describe 'Get-VirtMediaHash' {
    BeforeAll {
        $script:dir = Join-Path $TestDrive 'media'
        $null = New-Item -ItemType Directory -Path $dir
        # 2.5 MiB and a few bytes: the 1 MiB and 2 MiB prefixes are proper parts of it.
        $script:bytes = [byte[]]::new(2.5MB + 123)
        [System.Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
        $script:iso = Join-Path $dir 'medium.iso'
        [System.IO.File]::WriteAllBytes($iso, $bytes)
        $script:small = Join-Path $dir 'small.img'
        [System.IO.File]::WriteAllBytes($small, [byte[]][System.Linq.Enumerable]::ToArray([System.Linq.Enumerable]::Take($bytes, 1000)))
    }

    It 'gives the MD5 and SHA1 of the whole file and of its first MiB' {
        $h = Get-VirtMediaHash -Path $iso
        $h | Should -BeOfType ([VirtTest.Core.Transfer.MediaHash])
        $h.Path | Should -Be $iso
        $h.Length | Should -Be $bytes.Length
        $h.PrefixMiB | Should -Be 1
        $h.Md5 | Should -Be (Get-FileHash -LiteralPath $iso -Algorithm MD5).Hash.ToLowerInvariant()
        $h.Sha1 | Should -Be (Get-FileHash -LiteralPath $iso -Algorithm SHA1).Hash.ToLowerInvariant()
        $h.Md5Prefix | Should -Be (Get-BytesHash $bytes 1MB MD5)
        $h.Sha1Prefix | Should -Be (Get-BytesHash $bytes 1MB SHA1)
        $h.Md5Prefix | Should -Not -Be $h.Md5
    }

    It 'covers -PrefixMiB MiB with the prefix sums' {
        $h = Get-VirtMediaHash $iso -PrefixMiB 2
        $h.PrefixMiB | Should -Be 2
        $h.Md5Prefix | Should -Be (Get-BytesHash $bytes 2MB MD5)
        $h.Sha1Prefix | Should -Be (Get-BytesHash $bytes 2MB SHA1)
        $h.Md5 | Should -Be (Get-FileHash -LiteralPath $iso -Algorithm MD5).Hash.ToLowerInvariant()
    }

    It 'gives the whole file''s sums as prefix sums of a file shorter than the prefix' {
        $h = Get-VirtMediaHash $small
        $h.Length | Should -Be 1000
        $h.Md5Prefix | Should -Be $h.Md5
        $h.Sha1Prefix | Should -Be $h.Sha1
        $h.Md5 | Should -Be (Get-FileHash -LiteralPath $small -Algorithm MD5).Hash.ToLowerInvariant()
    }

    It 'takes files from Get-ChildItem and wildcards, relative to the current location' {
        @(Get-ChildItem -LiteralPath $dir -File | Get-VirtMediaHash).Path | Sort-Object | Should -Be @($iso, $small | Sort-Object)
        Push-Location -LiteralPath $dir
        try {
            @(Get-VirtMediaHash './*.iso').Path | Should -Be @($iso)
        }
        finally {
            Pop-Location
        }
    }

    It 'writes a non-terminating VirtTest.PathNotFound error for a missing file and goes on' {
        $out = @(Get-VirtMediaHash -Path (Join-Path $dir 'missing.iso'), $small -ErrorVariable errs -ErrorAction SilentlyContinue)
        $out.Count | Should -Be 1
        $out[0].Path | Should -Be $small
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.PathNotFound,*'
    }

    It 'shows hashes as a table of file name, length and sums' {
        $h = Get-VirtMediaHash $iso
        $text = $h | Format-Table | Out-String -Width 300
        $text | Should -Match 'File\s+Length\s+Md5Prefix\s+Md5\s+Sha1'
        $text | Should -Match "(?m)^medium\.iso\s+$($bytes.Length)\s+$($h.Md5Prefix)\s+$($h.Md5)\s+$($h.Sha1)\s*$"
        $text | Should -Not -Match ([regex]::Escape($dir))
    }
}
