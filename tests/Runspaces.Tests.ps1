# Pester tests of what belongs to a runspace: VM and session names are per runspace, the test
# runner lends its VMs to the test script's runspace (and takes over the VMs a script creates),
# and a runspace's VMs are killed when it closes or when the module is removed from it, not only
# when the process exits. Boots the test guest (tag Guest) where a QEMU process must be seen.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $script:ModulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $ModulePath -Force
    $ProgressPreference = 'SilentlyContinue'
    $script:GuestDir = if ($env:VIRTTEST_TEST_GUEST) { $env:VIRTTEST_TEST_GUEST } else { Join-Path $PSScriptRoot '../.build/guest' }

    # A runspace of its own with VirtTest imported; returns [powershell] bound to it.
    function New-ModuleRunspace {
        $rs = [runspacefactory]::CreateRunspace()
        $rs.Open()
        $ps = [powershell]::Create()
        $ps.Runspace = $rs
        $null = $ps.AddScript("Import-Module '$ModulePath'; `$env:VIRTTEST_TEST_GUEST = '$GuestDir'").Invoke()
        $ps.Commands.Clear()
        return $ps
    }

    function Invoke-InRunspace([powershell] $Ps, [string] $Script) {
        $Ps.Commands.Clear()
        $out = $Ps.AddScript($Script).Invoke()
        if ($Ps.HadErrors) { throw "in the runspace: $($Ps.Streams.Error[0])" }
        return $out
    }

    function Test-ProcessAlive([int] $Id) { [bool](Get-Process -Id $Id -ErrorAction SilentlyContinue) }
}

Describe 'VM names belong to a runspace' {
    It 'lets two runspaces each create a VM of the same name, and neither sees the other''s' {
        $a = New-ModuleRunspace
        $b = New-ModuleRunspace
        try {
            $vmA = Invoke-InRunspace $a "New-VirtVm -Name vm1 -MemoryMB 64 -Property @{ vga = 'none' }"
            $vmB = Invoke-InRunspace $b "New-VirtVm -Name vm1 -MemoryMB 96 -Property @{ vga = 'none' }"
            $vmA.Name | Should -Be 'vm1'
            $vmB.Name | Should -Be 'vm1'
            [object]::ReferenceEquals(@($vmA)[0].psobject.BaseObject, @($vmB)[0].psobject.BaseObject) | Should -BeFalse
            (Invoke-InRunspace $a '(Get-VirtVm vm1).MemoryMB') | Should -Be 64
            (Invoke-InRunspace $b '(Get-VirtVm vm1).MemoryMB') | Should -Be 96
            # This runspace has no vm1 at all.
            Get-VirtVm -Name vm1 -ErrorAction SilentlyContinue -ErrorVariable errs | Should -BeNullOrEmpty
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmNotFound*'
        }
        finally {
            foreach ($ps in $a, $b) { $ps.Runspace.Dispose(); $ps.Dispose() }
        }
    }

    It 'lets ForEach-Object -Parallel workers each use the same VM name' {
        $names = 1..3 | ForEach-Object -ThrottleLimit 3 -Parallel {
            Import-Module $using:ModulePath
            $vm = New-VirtVm -Name worker -MemoryMB 64 -Property @{ vga = 'none' }
            "$($vm.Name)@$([runspace]::DefaultRunspace.InstanceId)"
            Remove-VirtVm $vm
        }
        $names.Count | Should -Be 3
        ($names | Sort-Object -Unique).Count | Should -Be 3
    }
}

Describe 'A runspace cleans up what it owns' -Tag Guest {
    It 'kills its running VMs when the runspace is closed' {
        $ps = New-ModuleRunspace
        try {
            $processId = Invoke-InRunspace $ps '$vm = New-VirtVm -TestGuest -Name rs-close; Start-VirtVm $vm; $vm.ProcessId'
            $runtimeDir = Invoke-InRunspace $ps 'Split-Path -Parent (Get-VirtVm rs-close).ConsoleLogPath'
            Test-ProcessAlive $processId | Should -BeTrue
        }
        finally {
            $ps.Runspace.Close()
            $ps.Dispose()
        }
        Test-ProcessAlive $processId | Should -BeFalse
        Test-Path -LiteralPath $runtimeDir | Should -BeFalse
    }

    It 'kills its running VMs when the module is removed from the runspace, and starts afresh on the next import' {
        $ps = New-ModuleRunspace
        try {
            $processId = Invoke-InRunspace $ps '$vm = New-VirtVm -TestGuest -Name rs-remove; Start-VirtVm $vm; $vm.ProcessId'
            Test-ProcessAlive $processId | Should -BeTrue
            Invoke-InRunspace $ps 'Remove-Module VirtTest'
            Test-ProcessAlive $processId | Should -BeFalse
            Invoke-InRunspace $ps "Import-Module '$ModulePath'; @(Get-VirtVm).Count" | Should -Be 0
        }
        finally {
            $ps.Runspace.Dispose()
            $ps.Dispose()
        }
    }
}

Describe 'The runner and the test script''s runspace' -Tag Guest {
    BeforeAll {
        $script:dir = Join-Path ([IO.Path]::GetTempPath()) ("vt-rs-run-" + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $dir
        Set-Content -LiteralPath (Join-Path $dir 'run.cfg') -Value @'
test_guest = yes
start_vm = yes
kill_vm = yes
test_session = no
variants:
    - sees_env:
        type = sees_env
'@
        # The script proves that Get-VirtVm finds the runner's VM (the same object as $Vm), and
        # leaves a running VM of its own for the runner to clean up; its process id goes to a file.
        Set-Content -LiteralPath (Join-Path $dir 'sees_env.ps1') -Value @'
param($Vm, $TestDirectory)
$found = Get-VirtVm -Name $Vm.Name
if (-not [object]::ReferenceEquals($found, $Vm)) { throw "Get-VirtVm did not return the runner's VM" }
$extra = New-VirtVm -TestGuest -Name helper
Start-VirtVm $extra
Set-Content -LiteralPath (Join-Path $TestDirectory 'helper.pid') -Value $extra.ProcessId
'@
        $script:out = Join-Path $dir 'results'
        $script:result = Invoke-VirtTestRun -Path (Join-Path $dir 'run.cfg') -TestPath $dir -OutputPath $out -Jobs 1
    }
    AfterAll { Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction Ignore }

    It 'shows the runner''s VMs to Get-VirtVm inside the test script' {
        $result.Status | Should -Be Pass -Because $result.Reason
    }

    It 'takes over the VMs the script created and cleans them up with the env' {
        $pidFile = Get-ChildItem -LiteralPath $out -Recurse -Filter helper.pid | Select-Object -First 1
        $pidFile | Should -Not -BeNullOrEmpty
        $helperPid = [int](Get-Content -LiteralPath $pidFile.FullName)
        Test-ProcessAlive $helperPid | Should -BeFalse
        Get-Content -Raw -LiteralPath (Join-Path $out $result.Logs[0]) | Should -Match 'helper: created by the test; the env takes it over'
    }
}
