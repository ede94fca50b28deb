# Pester tests for the life cycle of a VM: Start-VirtVm, Stop-VirtVm, a VM killed behind the
# framework's back (Get-VirtVm -Refresh), and Ctrl+C during a boot wait. They boot the test
# guest (tag Guest); each Describe shares one VM and removes it in AfterAll, also after failures.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $script:ModulePath = (Get-Module VirtTest).ModuleBase
    $ProgressPreference = 'SilentlyContinue'

    # QEMU processes started by this process for the VM $VmName (QEMU runs with -name guest=<name>,...).
    function Get-VmQemuProcess([string] $VmName) {
        Get-Process -Name 'qemu-system*' -ErrorAction SilentlyContinue | Where-Object {
            $parent = $_.Parent
            $_.CommandLine -match "-name guest=$([regex]::Escape($VmName))," -and $null -ne $parent -and $parent.Id -eq $PID
        }
    }

    function Test-ProcessAlive([int] $Id) {
        $p = Get-Process -Id $Id -ErrorAction SilentlyContinue
        # A reaped process is gone; a zombie has no command line any more.
        return $null -ne $p -and -not $p.HasExited -and $p.CommandLine
    }

    # Polls $Condition every 100 ms until it is true or $TimeoutSec passed; returns its last value.
    function Wait-Condition([scriptblock] $Condition, [double] $TimeoutSec = 10) {
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
        while ($true) {
            $value = & $Condition
            if ($value -or [DateTime]::UtcNow -ge $deadline) { return $value }
            Start-Sleep -Milliseconds 100
        }
    }
}

Describe 'Start-VirtVm and Stop-VirtVm' -Tag 'Guest' {
    BeforeAll {
        $script:vm = New-VirtVm -TestGuest -Name sv-life
    }
    AfterAll {
        Get-VirtVm -Name sv-life -ErrorAction SilentlyContinue | Remove-VirtVm
    }

    It 'starts the VM and waits for the guest (-Wait) with -PassThru' {
        $out = $vm | Start-VirtVm -Wait -TimeoutSec 60 -PassThru
        [object]::ReferenceEquals($out, $vm) | Should -BeTrue
        $vm.State | Should -Be 'Running'
        $vm.ProcessId | Should -BeGreaterThan 0
        Test-ProcessAlive $vm.ProcessId | Should -BeTrue
        @(Get-VmQemuProcess sv-life).Id | Should -Be $vm.ProcessId
        Test-Path -LiteralPath $vm.SerialConsolePath | Should -BeTrue
        Get-Content -LiteralPath $vm.ConsoleLogPath -Raw | Should -Match 'VIRTTEST-GUEST-READY'
    }

    It 'is a VmState error to start a running VM' {
        Start-VirtVm $vm -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmState,*'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidOperation'
        $vm.State | Should -Be 'Running'
    }

    It 'shows the PCI device count of a running VM in the table view' {
        $count = @(Get-VirtPciInfo $vm).Count
        $count | Should -BeGreaterThan 0
        $vm | Format-Table | Out-String | Should -Match "sv-life\s+Running\s+qemu\s+512\s+1\s+$count\b"
    }

    It 'stops gracefully within -TimeoutSec, then ends QEMU, and releases the runtime directory' {
        $processId = $vm.ProcessId
        $runtimeDir = Split-Path -Parent $vm.ConsoleLogPath
        Test-Path -LiteralPath $runtimeDir | Should -BeTrue
        # The busybox guest ignores the ACPI power button: Stop-VirtVm waits the timeout, then ends QEMU.
        $elapsed = Measure-Command { $out = $vm | Stop-VirtVm -TimeoutSec 1 -PassThru }
        $elapsed.TotalSeconds | Should -BeLessThan 8
        [object]::ReferenceEquals($out, $vm) | Should -BeTrue
        $vm.State | Should -Be 'Stopped'
        $vm.ProcessId | Should -BeNullOrEmpty
        $vm.SerialConsolePath | Should -BeNullOrEmpty
        Test-ProcessAlive $processId | Should -BeFalse
        Test-Path -LiteralPath $runtimeDir | Should -BeFalse
    }

    It 'does nothing (and writes no error) when stopping a stopped VM' {
        Stop-VirtVm $vm -TimeoutSec 1 -ErrorVariable errs
        $errs.Count | Should -Be 0
        $vm.State | Should -Be 'Stopped'
    }

    It 'starts again after a stop, and -Force kills at once' {
        Start-VirtVm -Name sv-life
        $vm.State | Should -Be 'Running'
        $processId = $vm.ProcessId
        $runtimeDir = Split-Path -Parent $vm.ConsoleLogPath
        $elapsed = Measure-Command { Stop-VirtVm -Name sv-life -Force }
        $elapsed.TotalSeconds | Should -BeLessThan 3
        $vm.State | Should -Be 'Stopped'
        Test-ProcessAlive $processId | Should -BeFalse
        Test-Path -LiteralPath $runtimeDir | Should -BeFalse
    }

    It 'times out with an error when -Pattern never appears, and leaves no QEMU behind' {
        $elapsed = Measure-Command {
            $out = Start-VirtVm $vm -Pattern 'this-text-never-appears' -TimeoutSec 2 -PassThru -ErrorVariable errs -ErrorAction SilentlyContinue
        }
        $out | Should -BeNullOrEmpty
        $elapsed.TotalSeconds | Should -BeLessThan 10
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.Vm,*'
        "$($errs[0])" | Should -Match 'this-text-never-appears'
        "$($errs[0])" | Should -Match 'did not appear'
        $vm.State | Should -Be 'Stopped'
        $vm.ProcessId | Should -BeNullOrEmpty
        Get-VmQemuProcess sv-life | Should -BeNullOrEmpty
        Test-Path -LiteralPath (Split-Path -Parent $vm.ConsoleLogPath) | Should -BeFalse
    }

    It 'writes a NoReadyPattern error for -Wait without a ready_pattern, and kills nothing it was not asked to' {
        $plain = New-VirtVm -Name sv-plain -MemoryMB 64 -Property @{ vga = 'none' }
        try {
            Start-VirtVm $plain -Wait -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.NoReadyPattern*'
        }
        finally {
            Remove-VirtVm $plain
        }
    }

    It 'starts paused with -Paused' {
        Start-VirtVm $vm -Paused
        $vm.State | Should -Be 'Paused'
        (Invoke-VirtMonitor $vm query-status).running | Should -BeFalse
        Stop-VirtVm $vm -Force
    }
}

Describe 'A VM killed behind the framework''s back' -Tag 'Guest' {
    BeforeAll {
        $script:vm = New-VirtVm -TestGuest -Name sv-dead
        Start-VirtVm $vm
    }
    AfterAll {
        Get-VirtVm -Name sv-dead -ErrorAction SilentlyContinue | Remove-VirtVm
    }

    It 'is Dead with a DeathReason after SIGKILL, and its runtime directory is gone' {
        $processId = $vm.ProcessId
        $runtimeDir = Split-Path -Parent $vm.ConsoleLogPath
        $processId | Should -BeGreaterThan 0
        Stop-Process -Id $processId -Force
        Wait-Condition { -not (Test-ProcessAlive $processId) } | Should -BeTrue
        # The framework notices the exit on its own (the next test checks -Refresh right after a kill).
        Wait-Condition { $vm.State -eq 'Dead' } 10 | Should -BeTrue

        $seen = Get-VirtVm -Name sv-dead -Refresh
        [object]::ReferenceEquals($seen, $vm) | Should -BeTrue
        $seen.State | Should -Be 'Dead'
        $seen.DeathReason | Should -Match 'exit'
        $seen.ProcessId | Should -BeNullOrEmpty
        Wait-Condition { -not (Test-Path -LiteralPath $runtimeDir) } 5 | Should -BeTrue
    }

    It 'answers the next operation with a VmState error that gives the reason' {
        $out = Get-VirtPciInfo $vm -ErrorVariable errs -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmState,*'
        "$($errs[0])" | Should -Match 'Dead'
        Suspend-VirtVm $vm -ErrorVariable errs2 -ErrorAction SilentlyContinue
        $errs2[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmState,*'
    }

    It 'is Dead as soon as -Refresh is asked right after the kill (10 rounds)' {
        # No waiting for the process here: -Refresh itself must notice that QEMU has gone.
        $seen = foreach ($round in 1..10) {
            Start-VirtVm $vm
            Stop-Process -Id $vm.ProcessId -Force
            try {
                $state = (Get-VirtVm -Name sv-dead -Refresh -ErrorAction Stop).State
                "$state/$([bool]$vm.DeathReason)"
            }
            catch {
                "error: $($_.Exception.GetType().Name): $($_.Exception.Message)"
            }
            # Let the VM settle before the next round, whatever -Refresh said.
            $null = Wait-Condition { $vm.State -eq 'Dead' } 10
        }
        $seen | ForEach-Object { $_ | Should -Be 'Dead/True' -Because "states seen: $($seen -join ', ')" }
    }

    It 'can be started again' {
        Start-VirtVm $vm
        $vm.State | Should -Be 'Running'
        $vm.DeathReason | Should -BeNullOrEmpty
        Stop-VirtVm $vm -Force
        $vm.State | Should -Be 'Stopped'
    }
}

Describe 'Ctrl+C during a boot wait' -Tag 'Guest' {
    It 'stops Start-VirtVm -Wait within seconds and kills the VM' {
        # One pipeline in its own runspace with the module preloaded, as in Expand-VirtConfig.Tests.ps1.
        $iss = [initialsessionstate]::CreateDefault2()
        $iss.ImportPSModule([string[]]@($ModulePath))
        $runspace = [runspacefactory]::CreateRunspace($iss)
        $runspace.Open()
        $ps = [powershell]::Create()
        $ps.Runspace = $runspace
        try {
            $null = $ps.AddCommand('New-VirtVm').AddParameter('TestGuest').AddParameter('Name', 'cc').
                AddCommand('Start-VirtVm').AddParameter('Wait').AddParameter('Pattern', 'never-appears').AddParameter('TimeoutSec', 120)
            $async = $ps.BeginInvoke()
            $qemu = Wait-Condition { Get-VmQemuProcess cc } 30
            $qemu | Should -Not -BeNullOrEmpty -Because 'QEMU must be running before Ctrl+C'
            $ps.InvocationStateInfo.State | Should -Be 'Running'

            $elapsed = Measure-Command { $ps.Stop() }
            $elapsed.TotalSeconds | Should -BeLessThan 5
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            { $ps.EndInvoke($async) } | Should -Throw
            Wait-Condition { -not (Get-VmQemuProcess cc) } 5 | Should -BeTrue
            Get-VmQemuProcess cc | Should -BeNullOrEmpty
            # The VM belongs to the pipeline's runspace: ask there, not here.
            $ask = [powershell]::Create()
            $ask.Runspace = $runspace
            $state = $ask.AddCommand('Get-VirtVm').AddParameter('Name', 'cc').Invoke() | ForEach-Object State
            $ask.Dispose()
            # Stopped when Ctrl+C came during the boot wait; Created when it came while QEMU was
            # still starting (a start that did not finish leaves the VM as never started). Which
            # one depends on how far the start got when QEMU's process was seen: never Running.
            $state | Should -BeIn 'Stopped', 'Created'
            Get-VirtVm -Name cc -ErrorAction SilentlyContinue | Should -BeNullOrEmpty -Because "this runspace has VMs of its own"
        }
        finally {
            $ps.Dispose()
            # Closing the runspace removes what it owns (the VM 'cc').
            $runspace.Dispose()
        }
    }
}
