# Pester tests of Tab completion where a user types names: VM names (-Name, -Vm), the VM's own
# monitor commands (Invoke-VirtMonitor -Command), the backend's device models
# (Add-VirtPciDevice -Model) and session names (Get-VirtSession -Name); and of -Vm taking a name.
# Completion of monitor commands needs a running VM (tag Guest).
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $ProgressPreference = 'SilentlyContinue'
    function Get-Completion([string] $Line) {
        @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches | ForEach-Object CompletionText)
    }
}

Describe 'VM names complete and bind' {
    BeforeAll {
        $script:vms = @(
            New-VirtVm -Name cpl-web1 -MemoryMB 64 -Property @{ vga = 'none' }
            New-VirtVm -Name cpl-web2 -MemoryMB 64 -Property @{ vga = 'none' }
            New-VirtVm -Name cpl-db -MemoryMB 64 -Property @{ vga = 'none' }
        )
    }
    AfterAll { $vms | Remove-VirtVm }

    It 'completes -Name of the VM cmdlets with this runspace''s VMs' {
        Get-Completion 'Start-VirtVm -Name cpl-w' | Should -Be @('cpl-web1', 'cpl-web2')
        Get-Completion 'Get-VirtVm cpl-d' | Should -Be @('cpl-db')
        Get-Completion 'Remove-VirtVm -Name nothing-like-this' | Should -BeNullOrEmpty
    }

    It 'completes -Vm with VM names, and -Vm takes a name' {
        Get-Completion 'Get-VirtCapability -Vm cpl-we' | Should -Be @('cpl-web1', 'cpl-web2')
        (Get-VirtCapability -Vm cpl-db).Count | Should -BeGreaterThan 0
        $out = Start-VirtVm -Vm cpl-web1 -WhatIf -PassThru
        $out | Should -BeNullOrEmpty
    }

    It 'still binds a positional name to -Name' {
        Suspend-VirtVm cpl-db -WhatIf
        # A name that is no VM stays a string (another parameter set may take it); here none does.
        { Get-VirtCapability -Vm no-such-vm } | Should -Throw '*"no-such-vm"*VirtualMachine*'
    }

    It 'completes Add-VirtPciDevice -Model with the models of the VM''s backend' {
        $models = Get-Completion 'Add-VirtPciDevice -Name cpl-web1 -Model e100'
        $models | Should -Contain 'e1000'
        $models | ForEach-Object { $_ | Should -BeLike 'e100*' }
        Get-Completion 'Add-VirtPciDevice -Name cpl-web1 -Model virtio-net-p' | Should -Contain 'virtio-net-pci'
        Get-Completion 'Add-VirtPciDevice -Name cpl-web1 -Model qxl' | Should -Not -Contain 'isa-serial'
    }
}

Describe 'Monitor commands and sessions complete' -Tag Guest {
    BeforeAll {
        $script:vm = New-VirtVm -TestGuest -Name cpl-run
        Start-VirtVm $vm -Wait
        $script:serial = Connect-VirtSession -Vm $vm -Transport Serial
    }
    AfterAll { Remove-VirtVm $vm }

    It 'completes Invoke-VirtMonitor -Command from the VM''s own query-commands' {
        $commands = Get-Completion 'Invoke-VirtMonitor -Vm cpl-run -Command query-pc'
        $commands | Should -Contain 'query-pci'
        $commands | ForEach-Object { $_ | Should -BeLike 'query-pc*' }
        # Asked once: the VM keeps the list.
        $vm.CachedMonitorCommands | Should -Contain 'device_add'
    }

    It 'lists and completes this runspace''s sessions' {
        (Get-VirtSession -Vm $vm).Name | Should -Be 'cpl-run serial'
        Get-Completion 'Get-VirtSession -Name cpl-run' | Should -Be @("'cpl-run serial'")
        Get-VirtSession -Name 'nope' -ErrorAction SilentlyContinue -ErrorVariable errs | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.SessionNotFound*'
    }
}
