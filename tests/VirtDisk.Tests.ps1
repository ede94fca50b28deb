# Pester tests for the disk cmdlets of running VMs: Add-/Remove-VirtDisk, Get-VirtBlockDevice,
# New-VirtDiskSnapshot, Invoke-/Get-/Complete-/Stop-VirtBlockJob and Move-VirtVm -CopyStorage.
# One booted test guest (tag Guest) with a disk from its params, removed in AfterAll also after
# failures. The busybox guest has no mkfs: data is written and read raw with dd.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $ProgressPreference = 'SilentlyContinue'
    . (Join-Path $PSScriptRoot 'Shared/GuestCommand.ps1')

    function Invoke-Guest([string] $Command) {
        $r = Invoke-GuestCommand $vm $Command -TimeoutSec 60
        $r.ExitStatus | Should -Be 0 -Because "'$Command' printed: $($r.Output)"
        return $r.Output.Trim()
    }

    # The guest's disks (vda, sda, ...), polled until the set matches the expectation.
    function Wait-GuestDisks([scriptblock] $Until, [double] $TimeoutSec = 30) {
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
        while ($true) {
            $disks = @((Invoke-Guest 'ls /sys/block') -split '\s+' | Where-Object { $_ -and $_ -notmatch '^(loop|ram)' })
            if ((& $Until $disks) -or [DateTime]::UtcNow -ge $deadline) { return $disks }
            Start-Sleep -Milliseconds 250
        }
    }

    # Writes one MiB of fresh random data at a MiB offset of a guest disk; returns its md5.
    function Write-GuestData([string] $Disk, [int] $OffsetMiB) {
        $null = Invoke-Guest "dd if=/dev/urandom of=/tmp/chunk bs=1024k count=1 2>/dev/null && dd if=/tmp/chunk of=/dev/$Disk bs=1024k seek=$OffsetMiB conv=notrunc 2>/dev/null && sync"
        return ((Invoke-Guest 'md5sum /tmp/chunk') -split ' ')[0]
    }

    function Read-GuestData([string] $Disk, [int] $OffsetMiB) {
        $null = Invoke-Guest 'sync; echo 3 > /proc/sys/vm/drop_caches'
        return ((Invoke-Guest "dd if=/dev/$Disk bs=1024k skip=$OffsetMiB count=1 2>/dev/null | md5sum") -split ' ')[0]
    }

    $script:dir = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-disk-tests-$PID"
    $null = New-Item -ItemType Directory -Path $dir -Force
    $script:dataFile = (New-VirtImage (Join-Path $dir data.qcow2) -Size 32M).Path
    $script:vm = New-VirtVm -TestGuest -Name disk-vm -Property @{ images = 'data'; image_filename_data = $dataFile }
    $vm | Start-VirtVm -Wait -TimeoutSec 120
}

AfterAll {
    Get-VirtVm -Name disk-vm -ErrorAction SilentlyContinue | Remove-VirtVm
    if ($dir -and (Test-Path -LiteralPath $dir)) { Remove-Item -LiteralPath $dir -Recurse -Force }
}

Describe 'Get-VirtBlockDevice' -Tag 'Guest' {
    It 'lists the disk of the params with its file, format and size' {
        $disk = Get-VirtBlockDevice $vm
        $disk | Should -BeOfType ([VirtTest.Core.Monitor.BlockDevice])
        $disk.Id | Should -Be 'data'
        $disk.VmName | Should -Be 'disk-vm'
        $disk.File | Should -Be $dataFile
        $disk.Format | Should -Be 'qcow2'
        $disk.Size | Should -Be 32MB
        $disk.Bus | Should -Be 'virtio'
    }

    It 'says which disks exist when an id is unknown' {
        Get-VirtBlockDevice -Name disk-vm -Id nope -ErrorAction SilentlyContinue -ErrorVariable err | Should -BeNullOrEmpty
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.BlockDeviceNotFound*'
        "$($err[0])" | Should -Match 'data'
    }
}

Describe 'Add-VirtDisk and Remove-VirtDisk' -Tag 'Guest' {
    It 'hot-plugs a <Bus> disk that the guest sees as <Prefix>X, holds data, and unplugs it' -ForEach @(
        @{ Bus = 'Virtio'; Prefix = 'vd' }
        @{ Bus = 'Scsi'; Prefix = 'sd' }
    ) {
        $file = (New-VirtImage (Join-Path $dir "hot-$Bus.raw") -Size 8M -Format raw).Path
        $before = @(Wait-GuestDisks { $true })
        $disk = Add-VirtDisk $vm -Path $file -Bus $Bus -Id "hot$Bus"
        $disk.Bus | Should -Be $Bus.ToLowerInvariant()
        $disk.File | Should -Be $file
        $after = @(Wait-GuestDisks { param($d) @($d).Count -gt $before.Count })
        $new = @($after | Where-Object { $_ -notin $before })
        $new.Count | Should -Be 1
        $new[0] | Should -BeLike "$Prefix*"
        $md5 = Write-GuestData $new[0] 2
        Read-GuestData $new[0] 2 | Should -Be $md5

        Get-VirtBlockDevice $vm -Id "hot$Bus" | Remove-VirtDisk
        @(Get-VirtBlockDevice $vm).Id | Should -Not -Contain "hot$Bus"
        $gone = Wait-GuestDisks { param($d) $d -notcontains $new[0] }
        $gone | Should -Not -Contain $new[0]
    }

    It 'reports a missing image and an image in use as typed errors, and plugs nothing under -WhatIf' {
        $null = Add-VirtDisk $vm -Path (Join-Path $dir missing.qcow2) -ErrorAction SilentlyContinue -ErrorVariable e1
        $e1[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.ImageNotFound*'
        $null = Add-VirtDisk $vm -Path $dataFile -Id again -ErrorAction SilentlyContinue -ErrorVariable e2
        $e2[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.ImageLocked*'
        $file = (New-VirtImage (Join-Path $dir whatif.qcow2) -Size 8M).Path
        Add-VirtDisk $vm -Path $file -WhatIf
        @(Get-VirtBlockDevice $vm).Count | Should -Be 1
    }
}

Describe 'Live snapshot and block jobs' -Tag 'Guest' {
    It 'keeps data from before a snapshot in the base and after it in the overlay; commit brings it back' {
        $first = Write-GuestData vda 1
        $overlay = Join-Path $dir overlay.qcow2
        $snap = New-VirtDiskSnapshot $vm -Id data -Path $overlay
        $snap.File | Should -Be $overlay
        $snap.BackingFile | Should -Be $dataFile
        $second = Write-GuestData vda 5
        # The base holds the first write only (read beside the running VM with a shared lock).
        $view = Join-Path $dir base-view.raw
        $null = Convert-VirtImage $dataFile $view -Format raw -ForceShare
        $bytes = [System.IO.File]::ReadAllBytes($view)
        $md5 = { param($offset) [System.BitConverter]::ToString([System.Security.Cryptography.MD5]::HashData([byte[]]$bytes[($offset * 1MB)..(($offset + 1) * 1MB - 1)])).Replace('-', '').ToLowerInvariant() }
        & $md5 1 | Should -Be $first
        & $md5 5 | Should -Not -Be $second

        $job = Invoke-VirtBlockJob $vm -Type Commit -Id data
        $job.Status | Should -Be 'concluded'
        (Get-VirtBlockDevice $vm -Id data).File | Should -Be $dataFile
        Read-GuestData vda 5 | Should -Be $second
        Remove-Item -LiteralPath $view
        $null = Convert-VirtImage $dataFile $view -Format raw -ForceShare
        $bytes = [System.IO.File]::ReadAllBytes($view)
        & $md5 5 | Should -Be $second
    }

    It 'mirrors to a new image, lists the ready job, and completes it onto the copy' {
        $copy = Join-Path $dir mirror.qcow2
        $job = Invoke-VirtBlockJob $vm -Type Mirror -Id data -Target $copy -WhenReady Return
        $job.Ready | Should -BeTrue
        $listed = @(Get-VirtBlockJob $vm)
        $listed.Count | Should -Be 1
        $listed[0].Type | Should -Be 'Mirror'
        $listed[0].Device | Should -Be 'data'
        $listed | Complete-VirtBlockJob
        @(Get-VirtBlockJob $vm).Count | Should -Be 0
        (Get-VirtBlockDevice $vm -Id data).File | Should -Be $copy
        (Compare-VirtImage $dataFile $copy -ForceShare).Identical | Should -BeTrue
    }

    It 'Stop-VirtBlockJob cancels a job and the disk stays on its image' {
        $job = Invoke-VirtBlockJob $vm -Type Mirror -Id data -Target (Join-Path $dir backup.qcow2) -WhenReady Return
        Get-VirtBlockJob $vm | Stop-VirtBlockJob
        @(Get-VirtBlockJob $vm).Count | Should -Be 0
        (Get-VirtBlockDevice $vm -Id data).File | Should -Be (Join-Path $dir mirror.qcow2)
        Join-Path $dir backup.qcow2 | Should -Exist
    }

    It 'names the disk of a job it cannot start' {
        $null = Invoke-VirtBlockJob $vm -Type Mirror -Id nope -Target (Join-Path $dir x.qcow2) -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.BlockDeviceNotFound*'
    }
}

Describe 'Move-VirtVm -CopyStorage' -Tag 'Guest' {
    It 'moves the guest with its disk to a new file and the data is there' {
        $data = Write-GuestData vda 9
        $storage = Join-Path $dir moved
        $vm | Move-VirtVm -CopyStorage -StorageDirectory $storage
        $disk = Get-VirtBlockDevice $vm -Id data
        $disk.File | Should -Be (Join-Path $storage 'mirror-copy1.qcow2')
        $vm.Params['image_filename_data'] | Should -Be $disk.File
        Read-GuestData vda 9 | Should -Be $data
    }
}
