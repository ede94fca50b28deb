# Pester tests for the monitor-level cmdlets of a running VM: Invoke-VirtMonitor,
# Suspend-VirtVm / Resume-VirtVm with Wait-VirtVmEvent, Save-VirtScreenshot and
# Get-VirtCapability -Vm. One booted test guest shared by the first Describe (tag Guest),
# removed in AfterAll also after failures.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $ProgressPreference = 'SilentlyContinue'

    # Reads a PNG file: checks the signature and the chunk structure (IHDR first, IEND last),
    # and inflates the image data to make sure it holds exactly the pixels IHDR announces.
    function Read-PngInfo([string] $Path) {
        $bytes = [System.IO.File]::ReadAllBytes($Path)
        $signature = [byte[]](0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A)
        $sigOk = $bytes.Length -gt 8 -and [System.Linq.Enumerable]::SequenceEqual([byte[]]$bytes[0..7], $signature)
        $u32 = { param([int] $At) ([uint32]$bytes[$At] -shl 24) -bor ([uint32]$bytes[$At + 1] -shl 16) -bor ([uint32]$bytes[$At + 2] -shl 8) -bor [uint32]$bytes[$At + 3] }
        $chunks = [System.Collections.Generic.List[string]]::new()
        $idat = [System.IO.MemoryStream]::new()
        $offset = 8
        $width = 0; $height = 0; $bitDepth = 0; $colorType = -1
        while ($sigOk -and $offset + 12 -le $bytes.Length) {
            $length = & $u32 $offset
            $type = [System.Text.Encoding]::ASCII.GetString($bytes, $offset + 4, 4)
            $chunks.Add($type)
            if ($type -eq 'IHDR') {
                $width = & $u32 ($offset + 8)
                $height = & $u32 ($offset + 12)
                $bitDepth = $bytes[$offset + 16]
                $colorType = $bytes[$offset + 17]
            }
            elseif ($type -eq 'IDAT') {
                $idat.Write($bytes, $offset + 8, [int]$length)
            }
            $offset += 12 + [int]$length
        }
        # Bytes per pixel for 8-bit samples: gray 1, RGB 3, palette 1, gray+alpha 2, RGBA 4.
        $channels = switch ($colorType) { 0 { 1 } 2 { 3 } 3 { 1 } 4 { 2 } 6 { 4 } default { 0 } }
        $idat.Position = 0
        $inflated = [System.IO.MemoryStream]::new()
        $zlib = [System.IO.Compression.ZLibStream]::new($idat, [System.IO.Compression.CompressionMode]::Decompress)
        try { $zlib.CopyTo($inflated) } finally { $zlib.Dispose() }
        [pscustomobject]@{
            SignatureOk   = $sigOk
            Chunks        = $chunks.ToArray()
            Width         = [int]$width
            Height        = [int]$height
            BitDepth      = [int]$bitDepth
            ColorType     = [int]$colorType
            PixelBytes    = [long]$inflated.Length
            # Each row: one filter byte plus the samples.
            ExpectedBytes = [long]$height * (1 + [long]$width * $channels * $bitDepth / 8)
        }
    }

    # Display sizes a VGA card shows in its standard text and graphics modes.
    $script:StandardVgaSizes = @('720x400', '640x400', '640x480', '320x200', '640x350', '360x400', '800x600', '1024x768', '1280x1024', '1280x800')
}

Describe 'Monitor operations on a running VM' -Tag 'Guest' {
    BeforeAll {
        $script:vm = New-VirtVm -TestGuest -Name mon-vm
        $vm | Start-VirtVm -Wait -TimeoutSec 60
    }
    AfterAll {
        Get-VirtVm -Name mon-vm -ErrorAction SilentlyContinue | Remove-VirtVm
    }

    Context 'Invoke-VirtMonitor' {
        It 'returns query-status as an object with running True' {
            $status = Invoke-VirtMonitor $vm query-status
            $status | Should -BeOfType ([pscustomobject])
            $status.running | Should -BeTrue
            $status.running | Should -BeOfType ([bool])
            $status.status | Should -Be 'running'
        }

        It 'writes arrays element by element' {
            $cpus = @(Invoke-VirtMonitor -Vm $vm -Command query-cpus-fast)
            $cpus.Count | Should -Be 1
            $cpus[0].'cpu-index' | Should -Be 0
        }

        It 'passes -Arguments' {
            Invoke-VirtMonitor $vm -Command qom-get -Arguments @{ path = '/machine'; property = 'type' } | Should -Match '^pc-i440fx-'
        }

        It 'returns the text of a human monitor command' {
            $text = Invoke-VirtMonitor $vm -Human 'info pci' -TimeoutSec 10
            $text | Should -BeOfType ([string])
            $text | Should -Match 'Ethernet'
            $text | Should -Match 'id "nic1"'
        }

        It 'takes the VM from the pipeline' {
            ($vm | Invoke-VirtMonitor -Human 'info status') | Should -Match 'running'
        }

        It 'gives a MonitorCommand error for a bad command' {
            $out = Invoke-VirtMonitor $vm no-such-command -ErrorVariable errs -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.MonitorCommand.*'
            $errs[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
            "$($errs[0])" | Should -Match 'no-such-command'
        }

        It 'gives a MonitorCommand error for bad arguments' {
            Invoke-VirtMonitor $vm -Command qom-get -Arguments @{ path = '/no/such/object'; property = 'type' } -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.MonitorCommand.*'
        }
    }

    Context 'Suspend-VirtVm, Resume-VirtVm and Wait-VirtVmEvent' {
        It 'pauses the VM; the STOP event follows' {
            $before = $vm.Monitor.LastEventSequence
            $out = Suspend-VirtVm $vm -PassThru
            [object]::ReferenceEquals($out, $vm) | Should -BeTrue
            $vm.State | Should -Be 'Paused'
            (Invoke-VirtMonitor $vm query-status).running | Should -BeFalse
            $script:stopEvent = Wait-VirtVmEvent $vm STOP -After $before -TimeoutSec 10
            $stopEvent | Should -BeOfType ([VirtTest.Core.Monitor.MonitorEvent])
            $stopEvent.Name | Should -Be 'STOP'
            $stopEvent.Sequence | Should -BeGreaterThan $before
            $stopEvent.Timestamp | Should -BeOfType ([DateTimeOffset])
            ([DateTimeOffset]::UtcNow - $stopEvent.Timestamp).TotalMinutes | Should -BeLessThan 5
            (Get-VirtVm -Name mon-vm -Refresh).State | Should -Be 'Paused'
        }

        It 'resumes the VM; the RESUME event follows the STOP event' {
            Resume-VirtVm -Name mon-vm
            $vm.State | Should -Be 'Running'
            $resume = Wait-VirtVmEvent -Name mon-vm -EventName RESUME -After $stopEvent.Sequence -TimeoutSec 10
            $resume.Name | Should -Be 'RESUME'
            $resume.Sequence | Should -BeGreaterThan $stopEvent.Sequence
            (Invoke-VirtMonitor $vm query-status).running | Should -BeTrue
        }

        It 'returns an event already logged with -After 0' {
            # QEMU reported RESUME when the VM started, before this test.
            $first = Wait-VirtVmEvent $vm RESUME -TimeoutSec 1
            $first.Sequence | Should -BeLessThan $stopEvent.Sequence
        }

        It 'times out with a MonitorTimeout error when no such event comes' {
            $elapsed = Measure-Command {
                $out = Wait-VirtVmEvent $vm STOP -After $vm.Monitor.LastEventSequence -TimeoutSec 0.5 -ErrorVariable errs -ErrorAction SilentlyContinue
            }
            $out | Should -BeNullOrEmpty
            $elapsed.TotalSeconds | Should -BeLessThan 5
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.MonitorTimeout,*'
            $errs[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        }

        It 'shows events as a table with the data as compact JSON' {
            $before = $vm.Monitor.LastEventSequence
            $null = Add-VirtPciDevice $vm -Model e1000 -Id ev-nic
            Remove-VirtPciDevice $vm -Id ev-nic
            $deleted = Wait-VirtVmEvent $vm DEVICE_DELETED -After $before -TimeoutSec 10
            $deleted.Data.ToJsonString() | Should -Match '"device":"ev-nic"'
            $text = $deleted | Format-Table | Out-String
            $text | Should -Match 'Sequence\s+Name\s+Timestamp\s+Data'
            $text | Should -Match "$($deleted.Sequence)\s+DEVICE_DELETED\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\s+\{"
        }

        It 'is a VmState error to pause a VM that does not run' {
            $idle = New-VirtVm -TestGuest -Name mon-idle
            try {
                Suspend-VirtVm $idle -ErrorVariable e1 -ErrorAction SilentlyContinue
                Resume-VirtVm $idle -ErrorVariable e2 -ErrorAction SilentlyContinue
                $e1[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmState,*'
                $e2[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmState,*'
                $idle.State | Should -Be 'Created'
            }
            finally {
                Remove-VirtVm $idle
            }
        }
    }

    Context 'Save-VirtScreenshot' {
        It 'writes a valid PNG of a standard VGA size' {
            $path = Join-Path $TestDrive 'shot.png'
            $file = Save-VirtScreenshot $vm -Path $path
            $file | Should -BeOfType ([System.IO.FileInfo])
            $file.FullName | Should -Be $path
            $file.Length | Should -BeGreaterThan 0
            $png = Read-PngInfo $path
            $png.SignatureOk | Should -BeTrue
            $png.Chunks[0] | Should -Be 'IHDR'
            $png.Chunks[-1] | Should -Be 'IEND'
            $png.Chunks | Should -Contain 'IDAT'
            $png.Width | Should -BeGreaterThan 0
            $png.Height | Should -BeGreaterThan 0
            $png.PixelBytes | Should -Be $png.ExpectedBytes -Because 'the image data must hold exactly width x height pixels'
            "$($png.Width)x$($png.Height)" | Should -BeIn $StandardVgaSizes
        }

        It 'writes one file per VM, named after it, into an existing folder and replaces an existing file' {
            $dir = Join-Path $TestDrive 'shots'
            $null = New-Item -ItemType Directory -Path $dir
            Set-Content -LiteralPath (Join-Path $dir 'mon-vm.png') -Value 'old'
            $file = $vm | Save-VirtScreenshot -Path $dir
            $file.FullName | Should -Be (Join-Path $dir 'mon-vm.png')
            (Read-PngInfo $file.FullName).SignatureOk | Should -BeTrue
        }

        It 'writes nothing with -WhatIf' {
            $path = Join-Path $TestDrive 'whatif.png'
            Save-VirtScreenshot $vm -Path $path -WhatIf | Should -BeNullOrEmpty
            $path | Should -Not -Exist
        }
    }

    Context 'Get-VirtCapability -Vm' {
        It 'lists every capability of the VM, all supported for the test guest but what is libvirt''s or Xen''s' {
            # Host PCI passthrough is Xen's; libvirt networks and the hypervisor's address query are libvirt's.
            $notQemu = 'PciPassthrough', 'LibvirtNetwork', 'GuestAddressQuery'
            $caps = @(Get-VirtCapability $vm)
            $caps.Count | Should -Be ([enum]::GetValues([VirtTest.Core.Vm.VmCapability]).Count - 1)
            $caps | ForEach-Object {
                $_.Target | Should -Be 'mon-vm'
                $_.Backend | Should -Be 'qemu'
                $_.Supported | Should -Be ($_.Capability -notin $notQemu) -Because "$($_.Capability)"
            }
        }

        It 'takes the VM from the pipeline and filters with -Name' {
            $caps = @($vm | Get-VirtCapability -Name Screendump, Migration)
            $caps.Capability | Should -Be 'Screendump', 'Migration'
        }
    }
}

Describe 'A VM without a display' -Tag 'Guest' {
    BeforeAll {
        $script:blind = New-VirtVm -TestGuest -Name mon-novga -Property @{ vga = 'none' }
        Start-VirtVm $blind
    }
    AfterAll {
        Get-VirtVm -Name mon-novga -ErrorAction SilentlyContinue | Remove-VirtVm
    }

    It 'has no Screendump capability' {
        (Get-VirtCapability $blind -Name Screendump).Supported | Should -BeFalse
        (Get-VirtCapability -Params (Expand-VirtConfig -Text 'vga = none') -Name Screendump).Supported | Should -BeFalse
    }

    It 'gives a NotSupportedByBackend error for Save-VirtScreenshot and writes no file' {
        $blind.State | Should -Be 'Running'
        $path = Join-Path $TestDrive 'none.png'
        $out = Save-VirtScreenshot $blind -Path $path -ErrorVariable errs -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.NotSupportedByBackend,*'
        $errs[0].CategoryInfo.Category | Should -Be 'NotImplemented'
        "$($errs[0])" | Should -Match 'Screendump'
        $path | Should -Not -Exist
    }
}
