# The Debian guest (build/New-DebianGuest.ps1) through the module, as users take it:
# examples/guests/debian12.cfg piped to New-VirtVm, and included in a test config run by
# Invoke-VirtTestRun (one boot), whose test script logs in over serial and SSH with the steps,
# Wait-VirtCondition and host commands. Tagged Guest and RealGuest (a boot costs ~1 min under TCG).
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $ProgressPreference = 'SilentlyContinue'
    $script:guestConfig = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../examples/guests/debian12.cfg')).ProviderPath
}

Describe 'The Debian guest from examples/guests/debian12.cfg' -Tag 'Guest', 'RealGuest' {
    It 'becomes a VM whose disk is the built image, with no kernel params' {
        $p = Expand-VirtConfig -Path $guestConfig
        $vm = $p | New-VirtVm
        try {
            $vm.Name | Should -Be 'vm1'
            $vm.Params['kernel'] | Should -BeNullOrEmpty
            $vm.Params['images_base_dir'] | Should -Be '${VIRTTEST_TEST_GUEST}/debian12'
            $image = [VirtTest.Core.Vm.ImageFile]::PathOf($vm.Params.ObjectParams('image1'), 'vm1', 'image1')
            Test-Path -LiteralPath $image | Should -BeTrue
            $image | Should -BeLike '*/debian12/debian12.qcow2'
        }
        finally {
            Remove-VirtVm -Vm $vm -Confirm:$false
        }
    }

    It 'runs a test that logs in over serial and SSH, included in a run config' {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ("vt-realguest-" + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $dir
        try {
            Set-Content -LiteralPath (Join-Path $dir 'run.cfg') -Value @(
                "include $guestConfig"
                'start_vm = yes'
                'kill_vm = yes'
                'type = realguest_login'
                'pre_command = touch before-boot'
                'pre_command_timeout = 30')
            Set-Content -LiteralPath (Join-Path $dir 'realguest_login.ps1') -Value @'
param($Vm, $Session, $TestDirectory)
Enter-VirtTestStep 'systemd is up'
$state = Wait-VirtCondition { (Invoke-VirtSessionCommand -Session $Session -Command 'systemctl is-system-running' -IgnoreExitCode).Output.Trim() |
    Where-Object { $_ -in 'running', 'degraded' } } -TimeoutSec 180 -IntervalSec 2 -Message 'systemd to finish starting'
if ($state -ne 'running') { throw "systemd is $state: $((Invoke-VirtSessionCommand -Session $Session -Command 'systemctl --failed --no-legend' -IgnoreExitCode).Output)" }
Enter-VirtTestStep 'serial shell'
$id = (Invoke-VirtSessionCommand -Session $Session -Command 'id -un').Output.Trim()
if ($id -ne 'root') { throw "logged in as '$id'" }
Enter-VirtTestStep 'SSH login'
$ssh = Wait-VirtLogin -Vm $Vm -Transport Ssh -TimeoutSec 120
try {
    $os = (Invoke-VirtSessionCommand -Session $ssh -Command '. /etc/os-release; echo $ID-$VERSION_ID').Output.Trim()
    if ($os -ne 'debian-12') { throw "os-release says '$os'" }
    Set-Content -LiteralPath (Join-Path $TestDirectory 'os.txt') -Value $os
}
finally { Disconnect-VirtSession -Session $ssh }
'@
            $result = Invoke-VirtTestRun -Path (Join-Path $dir 'run.cfg') -TestPath $dir -OutputPath (Join-Path $dir 'results') -Jobs 1
            $result.Status | Should -Be 'Pass' -Because $result.Reason
            @($result.Steps.Name) | Should -Be @('systemd is up', 'serial shell', 'SSH login')
            $testDir = Join-Path $dir "results/$($result.Directory)"
            Get-Content -LiteralPath (Join-Path $testDir 'os.txt') | Should -Be 'debian-12'
            Test-Path -LiteralPath (Join-Path $testDir 'before-boot') | Should -BeTrue
            # The password never reaches the reports.
            Get-Content -LiteralPath (Join-Path $dir 'results/results.json') -Raw | Should -Not -Match 'Debian12-Root-Pw'
        }
        finally {
            Remove-Item -LiteralPath $dir -Recurse -Force
        }
    }
}
