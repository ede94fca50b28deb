# Pester tests for the image cmdlets (New/Get/Test/Convert/Resize/Set/Merge/Compare-VirtImage,
# Get/New/Restore/Remove-VirtImageSnapshot) against the real qemu-img. No guest: one paused
# QEMU (TCG, -S) holds an image for the lock errors and is killed in AfterAll.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $ProgressPreference = 'SilentlyContinue'

    $script:dir = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-image-tests-$PID"
    $null = New-Item -ItemType Directory -Path $dir -Force

    # A raw file of pseudo-random data with a zeroed stretch (so converted images have holes).
    function New-RandomRaw([string] $Name, [int] $Bytes, [int] $Seed = 1) {
        $data = [byte[]]::new($Bytes)
        [System.Random]::new($Seed).NextBytes($data)
        [System.Array]::Clear($data, [int]($Bytes / 4), [int]($Bytes / 4))
        $file = Join-Path $dir $Name
        [System.IO.File]::WriteAllBytes($file, $data)
        return $file
    }

    # Sets the 16-bit refcount of one cluster of a qcow2 file (header: refcount table offset at
    # byte 48, big-endian; its first entry points to the first refcount block).
    function Set-Qcow2Refcount([string] $File, [long] $Cluster, [int] $Value) {
        $bytes = [System.IO.File]::ReadAllBytes($File)
        $table = [System.Net.IPAddress]::NetworkToHostOrder([System.BitConverter]::ToInt64($bytes, 48))
        $block = [System.Net.IPAddress]::NetworkToHostOrder([System.BitConverter]::ToInt64($bytes, [int]$table))
        $stream = [System.IO.File]::OpenWrite($File)
        try {
            $stream.Position = $block + 2 * $Cluster
            $stream.Write([byte[]]@((($Value -shr 8) -band 0xff), ($Value -band 0xff)), 0, 2)
        }
        finally { $stream.Dispose() }
    }

    # The cluster holding a qcow2 file's L1 table (header: L1 offset at byte 40, cluster bits at 20).
    function Get-Qcow2L1Cluster([string] $File) {
        $bytes = [System.IO.File]::ReadAllBytes($File)
        $l1 = [System.Net.IPAddress]::NetworkToHostOrder([System.BitConverter]::ToInt64($bytes, 40))
        $bits = [System.Net.IPAddress]::NetworkToHostOrder([System.BitConverter]::ToInt32($bytes, 20))
        return $l1 -shr $bits
    }
}

AfterAll {
    if ($dir -and (Test-Path -LiteralPath $dir)) { Remove-Item -LiteralPath $dir -Recurse -Force }
}

Describe 'New-VirtImage' {
    It 'creates a qcow2 image and returns its ImageInfo' {
        $info = New-VirtImage (Join-Path $dir new.qcow2) -Size 64M -ClusterSize 128K
        $info | Should -BeOfType ([VirtTest.Core.Storage.ImageInfo])
        $info.Format | Should -Be 'qcow2'
        $info.VirtualSize | Should -Be 64MB
        $info.ClusterSize | Should -Be 128KB
        $info.Path | Should -Be (Join-Path $dir new.qcow2)
    }

    It 'takes PowerShell byte counts and creates raw images with preallocation' {
        $info = New-VirtImage (Join-Path $dir new.raw) -Size 2MB -Format raw -Preallocation Full
        $info.Format | Should -Be 'raw'
        $info.ActualSize | Should -Be 2MB
    }

    It 'creates an overlay that reads its size and format from the backing file' {
        $top = New-VirtImage (Join-Path $dir overlay.qcow2) -BackingFile (Join-Path $dir new.qcow2)
        $top.VirtualSize | Should -Be 64MB
        $top.FullBackingFile | Should -Be (Join-Path $dir new.qcow2)
        $top.BackingFormat | Should -Be 'qcow2'
    }

    It 'refuses an existing file without -Force, with a typed error naming it' {
        New-VirtImage (Join-Path $dir new.qcow2) -Size 1M -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.ImageExists*'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceExists'
        "$($err[0])" | Should -Match ([regex]::Escape((Join-Path $dir new.qcow2)))
        (Get-VirtImage (Join-Path $dir new.qcow2)).VirtualSize | Should -Be 64MB
        (New-VirtImage (Join-Path $dir new.qcow2) -Size 1M -Force).VirtualSize | Should -Be 1MB
    }

    It 'reports a bad size and an unknown format as typed errors' {
        $null = New-VirtImage (Join-Path $dir bad.qcow2) -Size lots -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.ImageArgument*'
        $null = New-VirtImage (Join-Path $dir bad.img) -Size 1M -Format foo -ErrorAction SilentlyContinue -ErrorVariable err2
        $err2[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.UnsupportedImageFormat*'
        Join-Path $dir bad.img | Should -Not -Exist
    }

    It 'does nothing under -WhatIf' {
        New-VirtImage (Join-Path $dir whatif.qcow2) -Size 1M -WhatIf
        Join-Path $dir whatif.qcow2 | Should -Not -Exist
    }
}

Describe 'Get-VirtImage' {
    It 'takes files from Get-ChildItem and writes the backing chain with -BackingChain' {
        $chain = @(Get-Item (Join-Path $dir overlay.qcow2) | Get-VirtImage -BackingChain)
        $chain.Count | Should -Be 2
        $chain[0].Depth | Should -Be 0
        $chain[1].Depth | Should -Be 1
        $chain[1].Path | Should -Be (Join-Path $dir new.qcow2)
    }

    It 'resolves wildcards and binds Format from piped ImageInfo objects' {
        $infos = @(Get-VirtImage (Join-Path $dir '*.qcow2'))
        $infos.Path | Should -Contain (Join-Path $dir overlay.qcow2)
        ($infos | Get-VirtImage).Count | Should -Be $infos.Count
    }

    It 'names a missing backing file in a typed error and goes on with the other images' {
        $null = New-VirtImage (Join-Path $dir orphan-base.qcow2) -Size 1M
        $null = New-VirtImage (Join-Path $dir orphan.qcow2) -BackingFile (Join-Path $dir orphan-base.qcow2)
        Remove-Item -LiteralPath (Join-Path $dir orphan-base.qcow2)
        $out = @(Get-VirtImage (Join-Path $dir orphan.qcow2), (Join-Path $dir new.raw) -BackingChain -ErrorAction SilentlyContinue -ErrorVariable err)
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.ImageNotFound*'
        $err[0].Exception.MissingFile | Should -Be (Join-Path $dir orphan-base.qcow2)
        $out.Count | Should -Be 1
        $out[0].Format | Should -Be 'raw'
    }
}

Describe 'Test-VirtImage' {
    BeforeAll {
        $script:corrupt = Join-Path $dir corrupt.qcow2
        $null = Convert-VirtImage (New-RandomRaw data.raw 1MB) $corrupt -SourceFormat raw
        Set-Qcow2Refcount $corrupt (Get-Qcow2L1Cluster $corrupt) 0
    }

    It 'reports a clean image as clean' {
        $r = Test-VirtImage (Join-Path $dir new.qcow2)
        $r | Should -BeOfType ([VirtTest.Core.Storage.ImageCheckResult])
        $r.IsClean | Should -BeTrue
    }

    It 'counts the corruption of a deliberately damaged image' {
        $r = Test-VirtImage $corrupt
        $r.Corruptions | Should -Be 1
        $r.Leaks | Should -Be 0
        $r.ExitCode | Should -Be 2
        $r.Messages | Should -Match 'refcount=0 reference=1'
    }

    It 'repairs nothing under -WhatIf, and everything with -Repair All' {
        Test-VirtImage $corrupt -Repair All -WhatIf | Should -BeNullOrEmpty
        (Test-VirtImage $corrupt).Corruptions | Should -Be 1
        $fixed = Test-VirtImage $corrupt -Repair All
        $fixed.CorruptionsFixed | Should -Be 1
        $fixed.Corruptions | Should -Be 0
        (Compare-VirtImage (Join-Path $dir data.raw) $corrupt -ReferenceFormat raw).Identical | Should -BeTrue
    }

    It 'says a raw image cannot be checked' {
        $null = Test-VirtImage (Join-Path $dir new.raw) -Format raw -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.UnsupportedImageFormat*'
        $err[0].Exception.Operation | Should -Be 'checks'
    }
}

Describe 'Convert-VirtImage and Compare-VirtImage' {
    It 'converts qcow2 -> raw -> qcow2 with identical data' {
        $raw = New-RandomRaw round.raw 4MB -Seed 5
        $qcow = Convert-VirtImage $raw (Join-Path $dir round.qcow2) -SourceFormat raw -Compress
        $qcow.Format | Should -Be 'qcow2'
        $back = $qcow | Convert-VirtImage -Destination (Join-Path $dir round-back.raw) -Format raw
        $results = @(Get-ChildItem $dir -Filter 'round*' | Compare-VirtImage -ReferencePath $raw -ReferenceFormat raw)
        $results.Count | Should -Be 3
        $results | ForEach-Object { $_.Identical | Should -BeTrue -Because $_.DifferencePath }
        (Get-FileHash $raw).Hash | Should -Be (Get-FileHash $back.Path).Hash
    }

    It 'finds a changed byte' {
        $copy = Join-Path $dir changed.raw
        Copy-Item (Join-Path $dir round.raw) $copy
        $bytes = [System.IO.File]::ReadAllBytes($copy); $bytes[1MB] = $bytes[1MB] -bxor 1; [System.IO.File]::WriteAllBytes($copy, $bytes)
        $r = Compare-VirtImage (Join-Path $dir round.raw) $copy -ReferenceFormat raw -DifferenceFormat raw
        $r.Identical | Should -BeFalse
        $r.MismatchOffset | Should -Be 1MB
    }

    It 'refuses to overwrite without -Force and leaves no destination after a failure' {
        $null = Convert-VirtImage (Join-Path $dir round.raw) (Join-Path $dir round.qcow2) -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.ImageExists*'
        $null = Convert-VirtImage (Join-Path $dir round.raw) (Join-Path $dir never.img) -Format foo -ErrorAction SilentlyContinue -ErrorVariable err2
        $err2[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.UnsupportedImageFormat*'
        Join-Path $dir never.img | Should -Not -Exist
    }
}

Describe 'Resize-VirtImage' {
    It 'grows, refuses to shrink without -Shrink, and shrinks with it' {
        $file = (New-VirtImage (Join-Path $dir resize.qcow2) -Size 1G).Path
        (Resize-VirtImage $file -Size +1G).VirtualSize | Should -Be 2GB
        $null = Resize-VirtImage $file -Size 1G -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.QemuImg*'
        (Get-VirtImage $file).VirtualSize | Should -Be 2GB
        (Get-VirtImage $file | Resize-VirtImage -Size 1GB -Shrink).VirtualSize | Should -Be 1GB
        Resize-VirtImage $file -Size 3G -WhatIf
        (Get-VirtImage $file).VirtualSize | Should -Be 1GB
    }
}

Describe 'Set-VirtImage and Merge-VirtImage' {
    It 'rebases an overlay, commits it into its base, and flattens it' {
        $raw = New-RandomRaw chain.raw 2MB -Seed 11
        $base = New-VirtImage (Join-Path $dir chain-base.qcow2) -Size 2M
        $top = Convert-VirtImage $raw (Join-Path $dir chain-top.qcow2) -SourceFormat raw
        (Set-VirtImage $top.Path -BackingFile $base.Path -Unsafe -PassThru).FullBackingFile | Should -Be $base.Path
        Set-VirtImage $top.Path -BackingFile $base.Path | Should -BeNullOrEmpty
        (Compare-VirtImage $raw $base.Path -ReferenceFormat raw).Identical | Should -BeFalse

        $into = $top | Merge-VirtImage -PassThru
        $into.Path | Should -Be $base.Path
        (Compare-VirtImage $raw $base.Path -ReferenceFormat raw).Identical | Should -BeTrue

        $alone = Set-VirtImage $top.Path -RemoveBackingFile -PassThru
        $alone.BackingFile | Should -BeNullOrEmpty
        Remove-Item -LiteralPath $base.Path
        (Compare-VirtImage $raw $top.Path -ReferenceFormat raw).Identical | Should -BeTrue
    }

    It 'says an image without a backing file has nothing to commit into' {
        $null = Merge-VirtImage (Join-Path $dir new.qcow2) -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.ImageArgument*'
    }
}

Describe 'Image snapshots' {
    BeforeAll {
        $script:snapFile = (New-VirtImage (Join-Path $dir snaps.qcow2) -Size 1G).Path
    }

    It 'New-VirtImageSnapshot takes named snapshots and refuses a duplicate name' {
        $s = New-VirtImageSnapshot $snapFile -Name small
        $s | Should -BeOfType ([VirtTest.Core.Storage.ImageSnapshot])
        $s.Id | Should -Be '1'
        $s.ImagePath | Should -Be $snapFile
        $null = Resize-VirtImage $snapFile -Size 2G
        $null = New-VirtImageSnapshot $snapFile -Name big
        $null = New-VirtImageSnapshot $snapFile -Name small -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.ImageSnapshotExists*'
    }

    It 'Get-VirtImageSnapshot lists them, filters by name, and names a missing one' {
        (Get-VirtImageSnapshot $snapFile).Name | Should -Be @('small', 'big')
        (Get-VirtImageSnapshot $snapFile -Name b*).Name | Should -Be 'big'
        Get-VirtImageSnapshot $snapFile -Name medium -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.ImageSnapshotNotFound*'
    }

    It 'Restore-VirtImageSnapshot reverts to a piped snapshot' {
        Get-VirtImageSnapshot $snapFile -Name small | Restore-VirtImageSnapshot
        (Get-VirtImage $snapFile).VirtualSize | Should -Be 1GB
        (Restore-VirtImageSnapshot $snapFile -Name big -PassThru).Name | Should -Be 'big'
        (Get-VirtImage $snapFile).VirtualSize | Should -Be 2GB
    }

    It 'Remove-VirtImageSnapshot deletes snapshots, and -WhatIf keeps them' {
        Get-VirtImageSnapshot $snapFile | Remove-VirtImageSnapshot -WhatIf
        @(Get-VirtImageSnapshot $snapFile).Count | Should -Be 2
        Get-VirtImageSnapshot $snapFile | Remove-VirtImageSnapshot
        @(Get-VirtImageSnapshot $snapFile).Count | Should -Be 0
    }
}

Describe 'Images held by a running QEMU' -Tag 'Qemu' {
    BeforeAll {
        $script:held = (New-VirtImage (Join-Path $dir held.qcow2) -Size 16M).Path
        $psi = [System.Diagnostics.ProcessStartInfo]::new('qemu-system-x86_64')
        foreach ($a in '-machine', 'pc', '-accel', 'tcg', '-nodefaults', '-display', 'none', '-S', '-m', '64',
            '-blockdev', "driver=file,node-name=f0,filename=$($held.Replace(',', ',,'))",
            '-blockdev', 'driver=qcow2,node-name=d0,file=f0', '-device', 'virtio-blk-pci,drive=d0',
            # The QMP greeting comes once QEMU has set up every device (and taken the image's locks).
            '-qmp', 'stdio') { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardError = $true
        $psi.RedirectStandardOutput = $true
        $script:qemu = [System.Diagnostics.Process]::Start($psi)
        # No qemu-img before the greeting: its shared lock would make QEMU's own locking fail.
        $greeting = $qemu.StandardOutput.ReadLineAsync()
        $greeting.Wait([TimeSpan]::FromSeconds(60)) | Should -BeTrue -Because 'QEMU greets on QMP once it holds the image'
        if ($greeting.Result -notmatch '"QMP"') { throw "QEMU did not greet on QMP (it exited: $($qemu.HasExited)): $($qemu.StandardError.ReadToEnd())" }
    }
    AfterAll {
        if ($qemu) {
            if (-not $qemu.HasExited) { $qemu.Kill($true) }
            $qemu.WaitForExit()
            $qemu.Dispose()
        }
    }

    It 'Get-VirtImage and Test-VirtImage say ImageLocked naming the image; -ForceShare reads it' {
        $null = Get-VirtImage $held -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.ImageLocked*'
        $err[0].CategoryInfo.Category | Should -Be 'ResourceBusy'
        $err[0].Exception.LockedFile | Should -Be $held
        (Get-VirtImage $held -ForceShare).VirtualSize | Should -Be 16MB
        (Test-VirtImage $held -ForceShare).IsClean | Should -BeTrue
    }

    It 'Resize-VirtImage and New-VirtImageSnapshot are refused and change nothing' {
        $null = Resize-VirtImage $held -Size 32M -ErrorAction SilentlyContinue -ErrorVariable e1
        $null = New-VirtImageSnapshot $held -Name s -ErrorAction SilentlyContinue -ErrorVariable e2
        $e1[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.ImageLocked*'
        $e2[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.ImageLocked*'
        $info = Get-VirtImage $held -ForceShare
        $info.VirtualSize | Should -Be 16MB
        $info.Snapshots.Count | Should -Be 0
    }
}
