# Pester tests for Move-VirtVm (live migration to a new QEMU process on this host). One
# booted test guest (tag Guest), removed in AfterAll also after failures.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $ProgressPreference = 'SilentlyContinue'

    . (Join-Path $PSScriptRoot 'Shared/GuestCommand.ps1')

    function Test-ProcessAlive([int] $Id) {
        $p = Get-Process -Id $Id -ErrorAction SilentlyContinue
        return $null -ne $p -and -not $p.HasExited -and $p.CommandLine
    }
}

Describe 'Move-VirtVm' -Tag 'Guest' {
    BeforeAll {
        $script:vm = New-VirtVm -TestGuest -Name mig-vm
        $vm | Start-VirtVm -Wait -TimeoutSec 60
        # Leave a mark in guest memory (the initramfs is a tmpfs) that only a real migration keeps.
        $script:mark = [guid]::NewGuid().ToString('N')
        (Invoke-GuestCommand $vm "echo $mark > /tmp/mark").ExitStatus | Should -Be 0
    }
    AfterAll {
        Get-VirtVm -Name mig-vm -ErrorAction SilentlyContinue | Remove-VirtVm
    }

    It 'migrates over a Unix socket: same object, new process, MigrationCount 1' {
        $oldPid = $vm.ProcessId
        $oldSerial = $vm.SerialConsolePath
        $oldRuntimeDir = Split-Path -Parent $vm.ConsoleLogPath

        $out = Move-VirtVm $vm -PassThru -TimeoutSec 120
        [object]::ReferenceEquals($out, $vm) | Should -BeTrue
        $vm.MigrationCount | Should -Be 1
        $vm.State | Should -Be 'Running'
        $vm.ProcessId | Should -BeGreaterThan 0
        $vm.ProcessId | Should -Not -Be $oldPid
        Test-ProcessAlive $vm.ProcessId | Should -BeTrue
        Test-ProcessAlive $oldPid | Should -BeFalse
        $vm.SerialConsolePath | Should -Not -Be $oldSerial
        Test-Path -LiteralPath $oldRuntimeDir | Should -BeFalse
        (Invoke-VirtMonitor $vm query-status).running | Should -BeTrue
    }

    It 'keeps the guest running: it answers on the new serial console with its memory intact' {
        $r = Invoke-GuestCommand $vm 'cat /tmp/mark'
        $r.ExitStatus | Should -Be 0
        $r.Output.Trim() | Should -Be $mark
        $r = Invoke-GuestCommand $vm 'false'
        $r.ExitStatus | Should -Be 1
    }

    It 'migrates again over TCP, by name, without -PassThru' {
        $oldPid = $vm.ProcessId
        $out = Move-VirtVm -Name mig-vm -Protocol tcp -TimeoutSec 120
        $out | Should -BeNullOrEmpty
        $vm.MigrationCount | Should -Be 2
        $vm.ProcessId | Should -Not -Be $oldPid
        $vm.State | Should -Be 'Running'
        (Invoke-GuestCommand $vm 'cat /tmp/mark').Output.Trim() | Should -Be $mark
    }

    It 'keeps a paused VM paused' {
        Suspend-VirtVm $vm
        Move-VirtVm $vm
        $vm.MigrationCount | Should -Be 3
        $vm.State | Should -Be 'Paused'
        (Invoke-VirtMonitor $vm query-status).running | Should -BeFalse
        Resume-VirtVm $vm
        (Invoke-GuestCommand $vm 'cat /tmp/mark').Output.Trim() | Should -Be $mark
    }

    It 'migrates nothing with -WhatIf' {
        $oldPid = $vm.ProcessId
        Move-VirtVm $vm -WhatIf
        $vm.MigrationCount | Should -Be 3
        $vm.ProcessId | Should -Be $oldPid
    }

    It 'fails cleanly with a hot-plugged device, keeping the VM running on the source' {
        $null = Add-VirtPciDevice $vm -Model e1000 -Id mig-hp
        try {
            $oldPid = $vm.ProcessId
            Move-VirtVm $vm -TimeoutSec 60 -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.Monitor*'
            $vm.MigrationCount | Should -Be 3
            $vm.ProcessId | Should -Be $oldPid
            $vm.State | Should -Be 'Running'
            (Invoke-GuestCommand $vm 'cat /tmp/mark').Output.Trim() | Should -Be $mark
        }
        finally {
            Remove-VirtPciDevice $vm -Id mig-hp -ErrorAction SilentlyContinue
        }
        Get-VirtPciInfo $vm -Id mig-hp | Should -BeNullOrEmpty
    }

    It 'is a VmState error to migrate a VM that does not run' {
        $idle = New-VirtVm -TestGuest -Name mig-idle
        try {
            Move-VirtVm $idle -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmState,*'
            $idle.MigrationCount | Should -Be 0
        }
        finally {
            Remove-VirtVm $idle
        }
    }
}
