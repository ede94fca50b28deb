# Pester tests for test runs: Invoke-VirtTestRun, Get-VirtTestResult, Stop-VirtTestRun.
# The first part runs tests without VMs (fast); the part tagged Guest boots the test guest for
# the faults a run must survive: QEMU killed mid-test, a hanging test, Ctrl+C in a parallel run,
# and a 20-test run that must leave no process, socket or runtime directory behind.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $ProgressPreference = 'SilentlyContinue'

    # A folder with a config and test scripts (name -> body), removed in AfterAll/AfterEach.
    function New-RunFolder([string] $Config, [hashtable] $Scripts) {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ("vt-run-test-" + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $dir
        Set-Content -LiteralPath (Join-Path $dir 'run.cfg') -Value $Config
        foreach ($name in $Scripts.Keys) { Set-Content -LiteralPath (Join-Path $dir "$name.ps1") -Value $Scripts[$name] }
        return $dir
    }

    # QEMU processes this PowerShell process started (the runner's VMs are its children).
    function Get-OwnQemu {
        @(Get-Process -Name 'qemu-system*' -ErrorAction SilentlyContinue | Where-Object { $_.Parent -and $_.Parent.Id -eq $PID -and $_.CommandLine })
    }

    # Runtime directories and their Unix sockets on this host (VMs of any process).
    function Get-RuntimeFootprint {
        $root = [VirtTest.Core.Vm.RuntimeDirectory]::Root
        $dirs = @(if (Test-Path -LiteralPath $root) { Get-ChildItem -LiteralPath $root -Directory | Where-Object Name -ne 'pools' })
        $sockets = @(Get-Content /proc/net/unix | Where-Object { $_.Contains($root) })
        [pscustomobject]@{ Dirs = $dirs.Count; Sockets = $sockets.Count }
    }
}

Describe 'Invoke-VirtTestRun without VMs' {
    BeforeAll {
        $script:dir = New-RunFolder -Config @'
start_vm = no
variants:
    - passes:
        type = check
        expected = 4
    - fails:
        type = check
        expected = 5
    - after_fails: fails
        type = check
        expected = 4
    - skips:
        type = skip_me
    - unknown_type:
        type = no_such_script
    - needs_screendump:
        type = check
        expected = 4
        vm_type = xen
        xen_guest_type = pv
        required_capabilities = Pause Screendump
'@ -Scripts @{
            check   = 'param($Params) Write-Verbose "checking $($Params.expected)" -Verbose; if (2 + 2 -ne [int]$Params.expected) { throw "2 + 2 is not $($Params.expected)" }'
            skip_me = 'throw [VirtTest.Core.Runner.TestSkippedException]::new("nothing to test here")'
        }
        $script:out = Join-Path $dir 'results'
        $script:results = @(Invoke-VirtTestRun -Path (Join-Path $dir 'run.cfg') -TestPath $dir -OutputPath $out -Jobs 2)
        $script:byName = @{}
        foreach ($r in $results) { $byName[$r.ShortName] = $r }
    }
    AfterAll { Remove-Item -LiteralPath $dir -Recurse -Force }

    It 'writes one result per test' {
        $results.Count | Should -Be 6
        $results | ForEach-Object { $_ | Should -BeOfType VirtTest.Core.Runner.TestResult }
    }

    It 'gives each outcome its status and reason' {
        $byName.passes.Status | Should -Be Pass
        $byName.fails.Status | Should -Be Fail
        $byName.fails.Reason | Should -BeLike '2 + 2 is not 5*check.ps1:1*'
        $byName.after_fails.Status | Should -Be Skip
        $byName.after_fails.Reason | Should -Be 'dependency fails did not pass (FAIL)'
        $byName.skips.Status | Should -Be Skip
        $byName.skips.Reason | Should -Be 'nothing to test here'
        $byName.unknown_type.Status | Should -Be Error
        $byName.unknown_type.Reason | Should -BeLike '*no_such_script*'
        $byName.needs_screendump.Status | Should -Be Skip
        $byName.needs_screendump.Reason | Should -Be "vm1: backend 'xen' does not support Screendump"
    }

    It 'keeps the script''s streams in the test''s debug log' {
        $log = Get-Content -Raw -LiteralPath (Join-Path $out $byName.passes.Logs[0])
        $log | Should -Match 'VERBOSE +checking 4'
    }

    It 'writes results.json, junit.xml and report.html that agree with the results' {
        foreach ($f in 'results.json', 'junit.xml', 'report.html') { Join-Path $out $f | Should -Exist }
        $json = Get-Content -Raw -LiteralPath (Join-Path $out 'results.json') | ConvertFrom-Json
        $json.run.state | Should -Be 'COMPLETED'
        @($json.tests).Count | Should -Be 6
        ($json.tests | Where-Object shortname -eq 'fails').status | Should -Be 'FAIL'
        $junit = [xml](Get-Content -Raw -LiteralPath (Join-Path $out 'junit.xml'))
        $junit.testsuites.testsuite.failures | Should -Be 1
        $junit.testsuites.testsuite.skipped | Should -Be 3
        $junit.testsuites.testsuite.errors | Should -Be 1
        Get-Content -Raw -LiteralPath (Join-Path $out 'report.html') | Should -Match '2 \+ 2 is not 5'
    }

    It 'reads the folder back with Get-VirtTestResult' {
        $read = @(Get-VirtTestResult -Path $out)
        $read.Count | Should -Be 6
        (Get-VirtTestResult -Path $out -Status Fail).ShortName | Should -Be 'fails'
        $summary = Get-VirtTestResult -Path $out -Summary
        $summary.Verdict | Should -Be 'ERROR'
        # Results piped back in name their folder once per test: it is read once.
        @($results | Get-VirtTestResult).Count | Should -Be $results.Count
        $summary.Passed | Should -Be 1
        $summary.Skipped | Should -Be 3
    }

    It 'compares two runs: a test that now passes and one that now fails' {
        $other = Join-Path $dir 'results2'
        $null = Invoke-VirtTestRun -Path (Join-Path $dir 'run.cfg') -TestPath $dir -OutputPath $other -Filter 'no unknown_type'
        $json = Get-Content -Raw -LiteralPath (Join-Path $other 'results.json') | ConvertFrom-Json -AsHashtable
        # Flip two results, as if the code had changed between the runs.
        foreach ($t in $json.tests) {
            if ($t.shortname -eq 'passes') { $t.status = 'FAIL'; $t.reason = 'broken now' }
            if ($t.shortname -eq 'fails') { $t.status = 'PASS'; $t.reason = '' }
        }
        $json | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath (Join-Path $other 'results.json')
        $changes = @(Get-VirtTestResult -Path $other -Compare $out)
        ($changes | Where-Object ShortName -eq 'passes').Change | Should -Be NewlyFailing
        ($changes | Where-Object ShortName -eq 'fails').Change | Should -Be NewlyPassing
        ($changes | Where-Object ShortName -eq 'unknown_type').Change | Should -Be Removed
    }

    It 'fails with a typed error for a folder that has no results' {
        { Get-VirtTestResult -Path $dir -ErrorAction Stop } | Should -Throw -ErrorId 'VirtTest.ResultsNotFound*'
    }

    It 'names file and line of a broken config' {
        $bad = Join-Path $dir 'bad.cfg'
        Set-Content -LiteralPath $bad -Value "variants:`n    - a:`n  b = 1 = 2 (`n"
        { Invoke-VirtTestRun -Path $bad -TestPath $dir -OutputPath (Join-Path $dir 'never') -ErrorAction Stop } | Should -Throw -ExpectedMessage '*bad.cfg:*'
        Join-Path $dir 'never' | Should -Not -Exist
    }

    It 'runs nothing with -WhatIf' {
        $null = Invoke-VirtTestRun -Path (Join-Path $dir 'run.cfg') -TestPath $dir -OutputPath (Join-Path $dir 'whatif') -WhatIf
        Join-Path $dir 'whatif' | Should -Not -Exist
    }
}

Describe 'Invoke-VirtTestRun -AsJob and Stop-VirtTestRun' {
    BeforeAll {
        $script:dir = New-RunFolder -Config "start_vm = no`ntype = slow`nvariants:`n    - one:`n    - two:`n    - three:`n    - four:" -Scripts @{
            slow = 'param($Params) if ($Params.shortname -ne "one") { Start-Sleep -Seconds 120 }'
        }
    }
    AfterAll { Remove-Item -LiteralPath $dir -Recurse -Force }

    It 'stops a background run: running tests CANCEL, the rest not run, the results folder valid' {
        $out = Join-Path $dir 'results'
        $job = Invoke-VirtTestRun -Path (Join-Path $dir 'run.cfg') -TestPath $dir -OutputPath $out -Jobs 1 -AsJob
        try {
            $job | Should -BeOfType VirtTest.PowerShell.Internal.VirtTestRunJob
            $deadline = (Get-Date).AddSeconds(60)
            while (@($job.Output).Count -lt 1 -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
            Start-Sleep -Milliseconds 500
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $job | Stop-VirtTestRun -Confirm:$false
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 20
            $job.State | Should -Be Stopped
            $received = @(Receive-Job -Job $job)
            ($received | Where-Object ShortName -eq 'one').Status | Should -Be Pass
            ($received | Where-Object ShortName -eq 'two').Status | Should -Be Cancel
            $summary = Get-VirtTestResult -Path $out -Summary
            $summary.State | Should -Be Interrupted
            $summary.NotRun | Should -Be 2
            $summary.Verdict | Should -Be INCOMPLETE
        }
        finally {
            Remove-Job -Job $job -Force
        }
    }
}

Describe 'Invoke-VirtTestRun with VMs: faults a run must survive' -Tag 'Guest' {
    BeforeAll {
        $script:dir = New-RunFolder -Config @'
vms = vm1
test_guest = yes
vm_type = qemu
machine_type = pc
start_vm = yes
mem = 256
login_timeout = 120
test_timeout = 180
variants:
    - qemu_killed:
        type = kill_qemu
    - after_kill:
        type = guest_true
    - hangs:
        type = hang
        test_timeout = 6
    - after_hang:
        type = guest_true
    - throws:
        type = throws
    - screendumps:
        type = linger
        take_regular_screendumps = yes
        screendump_delay = 1
        keep_screendumps = 2
    - with_image:
        type = sees_disk
        images = scratch
        image_name = scratch
        image_format = qcow2
        image_size = 64M
        create_image = yes
        remove_image = yes
        kill_vm = yes
'@ -Scripts @{
            kill_qemu  = 'param($Vm, $Session) Stop-Process -Id $Vm.ProcessId -Force; Invoke-VirtSessionCommand -Session $Session -Command "true" -TimeoutSec 20'
            guest_true = 'param($Session) Invoke-VirtSessionCommand -Session $Session -Command "true"'
            hang       = 'param($Session) Invoke-VirtSessionCommand -Session $Session -Command "while true; do read x; done" -TimeoutSec 600'
            throws     = 'param($Session) $k = (Invoke-VirtSessionCommand -Session $Session -Command "uname -s").Output.Trim(); throw "unexpected kernel $k"'
            linger     = 'Start-Sleep -Seconds 4'
            # virtio-blk is PCI device 1af4:1001 in the guest; the image file exists while the test runs.
            sees_disk  = @'
param($Session, $Env)
$ids = (Invoke-VirtSessionCommand -Session $Session -Command 'cat /sys/bus/pci/devices/*/device').Output
if ($ids -notmatch '0x1001') { throw "no virtio-blk device in the guest: $ids" }
$image = Join-Path $Env.ImagesDirectory 'scratch.qcow2'
if (-not (Test-Path -LiteralPath $image)) { throw "image $image does not exist" }
'@
        }
        $script:out = Join-Path $dir 'results'
        $script:watch = [Diagnostics.Stopwatch]::StartNew()
        $script:results = @(Invoke-VirtTestRun -Path (Join-Path $dir 'run.cfg') -TestPath $dir -OutputPath $out -Jobs 1)
        $watch.Stop()
        $script:byName = @{}
        foreach ($r in $results) { $byName[$r.ShortName] = $r }
    }
    AfterAll { Remove-Item -LiteralPath $dir -Recurse -Force }

    It 'QEMU killed mid-test: ERROR naming the dead VM, and the next test runs on a new VM' {
        $byName.qemu_killed.Status | Should -Be Error
        $byName.qemu_killed.Reason | Should -BeLike "VM 'vm1' died*"
        $byName.after_kill.Status | Should -Be Pass
        Get-Content -Raw -LiteralPath (Join-Path $out $byName.after_kill.Logs[0]) | Should -Match 'vm1: starting'
    }

    It 'a hanging test: ERROR at its timeout, its VM killed, the next test passes' {
        $byName.hangs.Status | Should -Be Error
        $byName.hangs.Reason | Should -Be 'timed out after 6 s'
        $byName.hangs.Duration | Should -BeLessThan 40
        $byName.after_hang.Status | Should -Be Pass
    }

    It 'a script that throws: FAIL with its message, console output and a final screenshot kept' {
        $byName.throws.Status | Should -Be Fail
        $byName.throws.Reason | Should -BeLike 'unexpected kernel Linux*'
        $byName.throws.Logs | Should -Contain "$($byName.throws.Directory)/vm1-console.log"
        $shot = Join-Path $out ($byName.throws.Screenshots | Where-Object { $_ -like '*vm1-final.png' })
        $shot | Should -Exist
        [System.IO.File]::ReadAllBytes($shot)[1..3] | Should -Be ([byte[]][char[]]'PNG')
    }

    It 'takes regular screendumps while a test runs, keeping the last keep_screendumps' {
        $byName.screendumps.Status | Should -Be Pass
        $shots = @($byName.screendumps.Screenshots | Where-Object { $_ -like '*/screendumps/vm1-*.png' })
        $shots.Count | Should -Be 2
        $shots | ForEach-Object { Join-Path $out $_ | Should -Exist }
    }

    It 'creates the image with qemu-img before the test and removes it after' {
        $byName.with_image.Status | Should -Be Pass
        $byName.with_image.Reason | Should -Be ''
        Get-ChildItem -Path (Join-Path $out 'images') -Recurse -File -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }

    It 'leaves no QEMU process behind' {
        Get-OwnQemu | Should -BeNullOrEmpty
    }
}

Describe 'Invoke-VirtTestRun: Ctrl+C in a parallel run' -Tag 'Guest' {
    BeforeAll {
        $script:dir = New-RunFolder -Config @'
vms = vm1
test_guest = yes
start_vm = yes
mem = 256
login_timeout = 120
type = hang
variants:
    - a:
    - b:
    - c:
    - d:
'@ -Scripts @{ hang = 'param($Session) Invoke-VirtSessionCommand -Session $Session -Command "while true; do read x; done" -TimeoutSec 600' }
    }
    AfterAll { Remove-Item -LiteralPath $dir -Recurse -Force }

    It 'stops all workers promptly, kills every VM and keeps a valid results folder' {
        $out = Join-Path $dir 'results'
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddCommand('Import-Module').AddParameter('Name', (Get-Module VirtTest).Path).AddStatement()
            $null = $ps.AddCommand('Invoke-VirtTestRun').AddParameter('Path', (Join-Path $dir 'run.cfg')).AddParameter('TestPath', $dir).
                AddParameter('OutputPath', $out).AddParameter('Jobs', 2)
            $handle = $ps.BeginInvoke()
            # Both workers are inside their test bodies (each with a running VM).
            $deadline = (Get-Date).AddSeconds(120)
            do {
                Start-Sleep -Milliseconds 200
                $inBody = @(Get-ChildItem -Path "$out/tests/*/debug.log" -ErrorAction SilentlyContinue | Where-Object { (Get-Content -Raw $_) -match 'running .*hang\.ps1' })
            } until ($inBody.Count -ge 2 -or (Get-Date) -gt $deadline)
            $inBody.Count | Should -Be 2
            (Get-OwnQemu).Count | Should -Be 2

            $watch = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            # Stop() can return a moment before the async result is marked complete (another thread
            # sets it): wait for it, within the same 30 s budget.
            $completed = $handle.AsyncWaitHandle.WaitOne([timespan]::FromSeconds([math]::Max(0, 30 - $watch.Elapsed.TotalSeconds)))
            $completed | Should -BeTrue -Because 'the run must end within 30 s of Ctrl+C'
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 30
        }
        finally {
            $ps.Dispose()
        }
        Get-OwnQemu | Should -BeNullOrEmpty
        $json = Get-Content -Raw -LiteralPath (Join-Path $out 'results.json') | ConvertFrom-Json
        $json.run.state | Should -Be 'INTERRUPTED'
        @($json.tests | Where-Object status -eq 'CANCEL').Count | Should -Be 2
        $summary = Get-VirtTestResult -Path $out -Summary
        $summary.Verdict | Should -Be INCOMPLETE
        $summary.NotRun | Should -Be 2
    }
}

Describe 'Invoke-VirtTestRun: 20 tests on 2 workers leave nothing behind' -Tag 'Guest' {
    BeforeAll {
        $script:dir = New-RunFolder -Config @'
vms = vm1
test_guest = yes
start_vm = yes
mem = 256
login_timeout = 120
test_timeout = 180
type = guest_true
variants:
    - one:
    - two:
    - three:
    - four:
    - five:
        kill_vm = yes
variants:
    - w:
    - x:
    - y:
    - z:
'@ -Scripts @{ guest_true = 'param($Session) Invoke-VirtSessionCommand -Session $Session -Command "true"' }
    }
    AfterAll { Remove-Item -LiteralPath $dir -Recurse -Force }

    It 'passes every test and leaves no process, socket or runtime directory' {
        $before = Get-RuntimeFootprint
        $results = @(Invoke-VirtTestRun -Path (Join-Path $dir 'run.cfg') -TestPath $dir -OutputPath (Join-Path $dir 'results') -Jobs 2)
        $results.Count | Should -Be 20
        @($results | Where-Object Status -ne Pass) | Should -BeNullOrEmpty
        (@($results.Worker | Sort-Object -Unique)).Count | Should -Be 2
        Get-OwnQemu | Should -BeNullOrEmpty
        $after = Get-RuntimeFootprint
        $after.Dirs | Should -Be $before.Dirs
        $after.Sockets | Should -Be $before.Sockets
    }
}

Describe 'The example run of the README, in a new pwsh session' -Tag 'Guest' {
    # As a user runs it: a plain 'dotnet pwsh' in the repository, with none of the VIRTTEST_*
    # variables build.ps1 sets; the runner finds the test guest (.build/guest) and Pester (the
    # NuGet cache build.ps1 restored it to) by itself.
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Shared/ChildPwsh.ps1')
        $script:Root = Split-Path -Parent $PSScriptRoot
        $script:ModuleManifest = Join-Path (Get-Module VirtTest).ModuleBase 'VirtTest.psd1'
        function Invoke-ReadmeRun([string] $Out, [hashtable] $Environment = @{}, [string] $Filter = '') {
            $filterArgument = if ($Filter) { "-Filter '$Filter'" } else { '' }
            Invoke-ChildPwsh -WorkingDirectory $Root -Environment $Environment -Script @"
`$ProgressPreference = 'SilentlyContinue'
Import-Module '$ModuleManifest'
Invoke-VirtTestRun ./examples/run/run.cfg -TestPath ./examples/run/tests, ./examples -OutputPath '$Out' $filterArgument |
    ForEach-Object { `$_.ShortName + '=' + `$_.Status.ToString().ToUpperInvariant() + '=' + `$_.Reason }
"@
        }
    }

    It 'passes boot and the PCI hot-plug variants (two NICs, two disks), fails fail_on_purpose, and writes the three reports' {
        $out = Join-Path ([System.IO.Path]::GetTempPath()) ("vt-example-run-" + [guid]::NewGuid().ToString('N'))
        try {
            $child = Invoke-ReadmeRun -Out $out
            $child.ExitCode | Should -Be 0 -Because $child.Error
            $statuses = @($child.Output | Where-Object { $_ -match '^[^=]+=(PASS|FAIL|ERROR|SKIP|CANCEL)=' })
            $statuses.Count | Should -Be 6 -Because ($child.Output -join "`n")
            @($statuses | Where-Object { $_ -like '*=PASS=*' }).Count | Should -Be 5 -Because ($statuses -join "`n")
            @($statuses | Where-Object { $_ -like 'fail_on_purpose=FAIL=*' }).Count | Should -Be 1
            foreach ($f in 'results.json', 'junit.xml', 'report.html') { Join-Path $out $f | Should -Exist }
        }
        finally {
            if (Test-Path -LiteralPath $out) { Remove-Item -LiteralPath $out -Recurse -Force }
        }
    }

    It 'ends a Pester spec as ERROR saying how to install Pester when none can be found' {
        $out = Join-Path ([System.IO.Path]::GetTempPath()) ("vt-example-run-" + [guid]::NewGuid().ToString('N'))
        $empty = Join-Path ([System.IO.Path]::GetTempPath()) ("vt-no-pester-" + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $empty
        try {
            $child = Invoke-ReadmeRun -Out $out -Filter 'only pci_hotplug' -Environment @{ NUGET_PACKAGES = $empty; PSModulePath = $empty }
            $child.ExitCode | Should -Be 0 -Because $child.Error
            $statuses = @($child.Output | Where-Object { $_ -like 'pci_hotplug*=*' })
            $statuses.Count | Should -Be 4 -Because ($child.Output -join "`n")
            foreach ($line in $statuses) {
                $line | Should -BeLike '*=ERROR=*Pester 5 or later is not installed*Install-PSResource Pester*'
            }
        }
        finally {
            foreach ($d in $out, $empty) { if (Test-Path -LiteralPath $d) { Remove-Item -LiteralPath $d -Recurse -Force } }
        }
    }
}
