# The real-guest examples (examples/realguest/run.cfg: boot, cdrom, kernel_log, reboot,
# shutdown, crash) run by Invoke-VirtTestRun on QEMU and on libvirt, one Describe per backend;
# each asserts every test's status, and that the crash test FAILED with the guest's panic as its
# reason. The runner shares one boot between boot, cdrom, kernel_log and reboot (kill_vm = no);
# shutdown ends it and crash boots again: two boots of the Debian guest per backend (~1 min
# each under TCG) plus two reboots (reboot_count = 1 here). Measured with four reboots on a
# shared 2-core machine: QEMU 7.5-8.3 min; libvirt with two reboots 6.6 min. The libvirt
# variant gets a private libvirtd in a test network's namespace with the guest on its bridge
# (SSH to its address).
# Boots the Debian guest: tagged Guest and RealGuest.

Describe 'Real-guest examples on <Backend>' -Tag 'Guest', 'RealGuest', 'Qemu' -ForEach @(@{ Backend = 'qemu' }) -Fixture ($script:realGuest = {
    BeforeAll {
        $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
        Import-Module -Name $modulePath -Force
        . (Join-Path $PSScriptRoot '../tests/Shared/LibvirtDaemon.ps1')
        $guests = if ($env:VIRTTEST_TEST_GUEST) { $env:VIRTTEST_TEST_GUEST } else { Join-Path $PSScriptRoot '../.build/guest' }
        $script:skip = if (-not (Test-Path -LiteralPath (Join-Path $guests 'debian12/debian12.qcow2'))) { "the Debian guest is not built ($guests/debian12; build.ps1 -Task Guest)" }
        $script:daemon = $null
        $script:work = Join-Path ([IO.Path]::GetTempPath()) "virttest-rg-$PID-$Backend"
        $script:results = @{}
        if (-not $skip) {
            $null = New-Item -ItemType Directory -Force -Path $work
            # The example's config with what this host adds: for libvirt the daemon and the guest's NIC.
            $lines = @("include $((Resolve-Path -LiteralPath (Join-Path $PSScriptRoot 'realguest/run.cfg')).ProviderPath)")
            # The suite reboots once per method (the example's reboot_count = 2 by hand): each
            # reboot costs about a minute under TCG, and the suite must stay under 40 minutes.
            $lines += 'reboot_count = 1'
            if ($Backend -eq 'libvirt') {
                $script:daemon = Start-TestLibvirtDaemon -Network
                $lines += "connect_uri = $($daemon.Uri)"
                foreach ($kv in $daemon.Network.NicParams.GetEnumerator()) { $lines += "$($kv.Key) = $($kv.Value)" }
            }
            $cfg = Join-Path $work 'run.cfg'
            Set-Content -LiteralPath $cfg -Value $lines
            $script:out = Join-Path $work 'results'
            $run = @(Invoke-VirtTestRun -Path $cfg -Filter "only $Backend" -TestPath (Join-Path $PSScriptRoot 'realguest/tests') -Jobs 1 -OutputPath $out)
            foreach ($r in $run) { $script:results[$r.ShortName.Split('.')[0]] = $r }
        }
        function Get-Result([string] $Test) {
            $r = $results[$Test]
            if (-not $r) { throw "no result for '$Test' (results: $(($results.Keys | Sort-Object) -join ', '))" }
            $r
        }
    }

    AfterAll {
        if ($daemon) { Stop-TestLibvirtDaemon $daemon }
        if (Test-Path -LiteralPath $work) { Remove-Item -LiteralPath $work -Recurse -Force }
    }

    It '<_> passes' -ForEach @('boot', 'cdrom', 'kernel_log', 'reboot', 'shutdown') {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        $r = Get-Result $_
        $r.Status | Should -Be 'Pass' -Because "$($r.ShortName): $($r.Reason) (log: $($r.Directory))"
    }

    It 'shares one boot between boot, cdrom, kernel_log and reboot' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        foreach ($t in 'cdrom', 'kernel_log', 'reboot', 'shutdown') {
            Get-Content -LiteralPath (Join-Path $out (Get-Result $t).Directory 'debug.log') -Raw | Should -Match 'reusing the running VM'
        }
    }

    It 'ends the crash test as FAIL with the panic in its reason' {
        if ($skip) { Set-ItResult -Skipped -Because $skip; return }
        $r = Get-Result 'crash'
        $r.Status | Should -Be 'Fail' -Because "$($r.ShortName): $($r.Reason) (step: $($r.FailedStep); log: $($r.Directory))"
        $r.Reason | Should -Match 'Kernel panic'
        $r.Reason | Should -Match 'sysrq'
        $r.FailedStep | Should -Be 'panic by sysrq c'
    }
})

Describe 'Real-guest examples on <Backend>' -Tag 'Guest', 'RealGuest', 'Libvirt' -ForEach @(@{ Backend = 'libvirt' }) -Fixture $realGuest
