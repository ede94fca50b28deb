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

    It 'runs a test that logs in over serial and SSH, and a kernel crash ends the next test as FAIL' {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ("vt-realguest-" + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Path $dir
        try {
            # Two tests on one boot (the second reuses the running VM): a login test, then a
            # kernel crash, which the runner must end as FAIL with the panic as its reason.
            Set-Content -LiteralPath (Join-Path $dir 'run.cfg') -Value @(
                "include $guestConfig"
                'start_vm = yes'
                'variants:'
                '    - login:'
                '        type = realguest_login'
                '        pre_command = touch before-boot'
                '        pre_command_timeout = 30'
                '    - crash:'
                '        type = realguest_crash'
                '        kill_vm = yes')
            Set-Content -LiteralPath (Join-Path $dir 'realguest_crash.ps1') -Value @(
                'param($Session)'
                "Enter-VirtTestStep 'crash the kernel'"
                '# The command never returns: the guest panics; the runner notices it on the console.'
                "Invoke-VirtSessionCommand -Session `$Session -Command 'echo c > /proc/sysrq-trigger' -TimeoutSec 600"
                "throw 'the guest survived the crash'")
            Set-Content -LiteralPath (Join-Path $dir 'realguest_login.ps1') -Value @'
param($Vm, $Session, $TestDirectory)
Enter-VirtTestStep 'systemd is up'
$state = Wait-VirtCondition { (Invoke-VirtSessionCommand -Session $Session -Command 'systemctl is-system-running' -IgnoreExitCode).Output.Trim() |
    Where-Object { $_ -in 'running', 'degraded' } } -TimeoutSec 180 -IntervalSec 2 -Message 'systemd to finish starting'
if ($state -ne 'running') { throw "systemd is ${state}: $((Invoke-VirtSessionCommand -Session $Session -Command 'systemctl --failed --no-legend' -IgnoreExitCode).Output)" }
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
            $results = @(Invoke-VirtTestRun -Path (Join-Path $dir 'run.cfg') -TestPath $dir -OutputPath (Join-Path $dir 'results') -Jobs 1)
            $results.Count | Should -Be 2
            $result, $crash = $results
            $result.Status | Should -Be 'Pass' -Because $result.Reason
            $crash.Status | Should -Be 'Fail'
            $crash.Reason | Should -BeLike "In step 1 'crash the kernel': VM 'vm1': the guest kernel crashed: *Kernel panic - not syncing: sysrq triggered crash*"
            # Ended by the console watch (which kills the VMs), not by the command's 600 s timeout.
            Get-Content -LiteralPath (Join-Path $dir "results/$($crash.Directory)/debug.log") -Raw | Should -Match 'the guest kernel crashed[\s\S]*killing the VMs'
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
