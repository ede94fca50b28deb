# Runs last (Pester takes the files in name order): after all the other tests, no VM or test
# network may be left in the session, and no QEMU process, private libvirtd, network
# namespace, bridge, veth, tap or dnsmasq started by the tests may still be alive.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

# build.ps1 may run some test files in a second pwsh at the same time (Start-PesterSibling):
# there (VIRTTEST_LEFTOVER_SCOPE=Session) only what is the session's own is checked; here the
# checks of the host's daemons, labs and namespaces wait until that pwsh (its PID in
# VIRTTEST_PESTER_SIBLING_PID) ended, so that they see what both left.

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $script:sessionOnly = $env:VIRTTEST_LEFTOVER_SCOPE -eq 'Session'
    $script:sessionOnlyReason = 'the host-wide checks run in the other Pester pwsh of this test run, after this one ended'
    if ($env:VIRTTEST_PESTER_SIBLING_PID) {
        $sibling = Get-Process -Id ([int]$env:VIRTTEST_PESTER_SIBLING_PID) -ErrorAction SilentlyContinue
        if ($sibling) {
            Write-Host "Waiting for the other Pester pwsh (pid $($sibling.Id)) to end before the host-wide checks"
            $null = $sibling.WaitForExit(2 * 3600 * 1000)
        }
    }
}

Describe 'After all tests' {
    It 'leaves no VM in the session' {
        $left = @(Get-VirtVm)
        $left.Count | Should -Be 0 -Because "every test removes its VMs (left: $(($left | ForEach-Object Name) -join ', '))"
    }

    It 'leaves no QEMU process with a runtime directory behind' {
        # The runtime directories live under RuntimeDirectory.Root (/tmp/virttest by default);
        # every QEMU of the framework has its sockets there, so its command line names it.
        $root = [VirtTest.Core.Vm.RuntimeDirectory]::Root.TrimEnd('/') + '/'
        $qemu = @(Get-Process -Name 'qemu-system*' -ErrorAction SilentlyContinue | Where-Object {
                $_.CommandLine -and $_.CommandLine.Contains($root, [StringComparison]::Ordinal)
            })
        # QEMU processes of other sessions on this host (another test run, a demo) are not ours:
        # ours are children of this process, which is still alive.
        $isOurs = { $parent = $_.Parent; $null -ne $parent -and $parent.Id -eq $PID }
        $ours = @($qemu | Where-Object $isOurs)
        $others = @($qemu | Where-Object { -not (& $isOurs) })
        if ($others.Count) {
            Write-Host "QEMU processes of other sessions (not checked): $(($others | ForEach-Object Id) -join ', ')"
        }
        $ours.Count | Should -Be 0 -Because "no test may leave QEMU running (left: $($ours | ForEach-Object { "$($_.Id): $($_.CommandLine)" }))"
    }

    It 'leaves no private libvirtd of the tests running' {
        if ($sessionOnly) { Set-ItResult -Skipped -Because $sessionOnlyReason; return }
        # build/libvirt-daemon.sh keeps each test daemon's files in a virttest-lvd-* folder.
        $daemons = @(Get-Process -Name 'libvirtd' -ErrorAction SilentlyContinue | Where-Object {
                $_.CommandLine -and $_.CommandLine.Contains('virttest-lvd-', [StringComparison]::Ordinal)
            })
        $daemons.Count | Should -Be 0 -Because "every test stops the libvirtd it started (left: $($daemons | ForEach-Object { "$($_.Id): $($_.CommandLine)" }))"
    }

    It 'leaves no test network in the session' {
        $left = @(Get-VirtTestNetwork)
        $left.Count | Should -Be 0 -Because "every test removes its networks (left: $(($left | ForEach-Object Name) -join ', '))"
    }

    It 'leaves no namespace, bridge, veth, tap or dnsmasq of the network tests' {
        if ($sessionOnly) { Set-ItResult -Skipped -Because $sessionOnlyReason; return }
        # VirtTest names every network object it creates vtn...; objects of another VirtTest
        # process that still runs (another test run on this host) are not ours to count.
        $others = @([VirtTest.Core.Network.NetworkObjectLedger]::Default.Entries() |
                Where-Object { $_.OwnerAlive -and $_.ProcessId -ne $PID } | ForEach-Object Name)
        $isOwn = { param([string] $Name) $Name.StartsWith([VirtTest.Core.Network.InterfaceName]::Prefix) -and $others -notcontains $Name }
        $namespaces = @(& ip -j netns list | ConvertFrom-Json | ForEach-Object name | Where-Object { & $isOwn $_ })
        $links = @(& ip -j -d link show | ConvertFrom-Json | Where-Object {
                (& $isOwn $_.ifname) -and $_.PSObject.Properties['linkinfo'] -and $_.linkinfo.info_kind -in 'tun', 'bridge', 'veth'
            } | ForEach-Object { "$($_.ifname) ($($_.linkinfo.info_kind))" })
        # A test network's dnsmasq keeps its files in <runtime root>/<network name>/.
        $root = [VirtTest.Core.Vm.RuntimeDirectory]::Root.TrimEnd('/') + '/'
        $dnsmasq = @(Get-Process -Name 'dnsmasq' -ErrorAction SilentlyContinue | Where-Object {
                $_.CommandLine -match ('--pid-file=' + [regex]::Escape($root) + '(vtn[^/]*)/') -and (& $isOwn $Matches[1])
            } | ForEach-Object { "$($_.Id): $($_.CommandLine)" })
        $namespaces.Count | Should -Be 0 -Because "every network test deletes its namespaces (left: $($namespaces -join ', '))"
        $links.Count | Should -Be 0 -Because "every network test deletes its bridges, veths and taps (left: $($links -join ', '))"
        $dnsmasq.Count | Should -Be 0 -Because "every test network stops its dnsmasq (left: $($dnsmasq -join '; '))"
    }

    It 'leaves no Slurm lab of the tests: no munged, slurmctld or slurmd, no namespace or link of a lab' {
        if ($sessionOnly) { Set-ItResult -Skipped -Because $sessionOnlyReason; return }
        # build/SlurmLab.ps1 names its network objects vts<4 hex digits> (namespaces <prefix>-n<i>,
        # links <prefix>br and <prefix>n<i>) and runs its daemons with the lab folder on their
        # command line. A lab started by hand in the default folder (build.ps1 -Task Cluster) is
        # the user's, not a test's: it is left out.
        $userLab = Join-Path $PSScriptRoot '../.build/slurm-lab/lab.json'
        $userPrefix = if (Test-Path -LiteralPath $userLab) { (Get-Content -Raw -LiteralPath $userLab | ConvertFrom-Json).prefix } else { '' }
        $isUsers = { param($name) $userPrefix -and $name.StartsWith($userPrefix, [StringComparison]::Ordinal) }
        $namespaces = @(& ip netns list 2>$null | ForEach-Object { ($_ -split '\s+')[0] } | Where-Object { $_ -match '^vts[0-9a-f]{4}-' -and -not (& $isUsers $_) })
        $links = @(& ip -o link show 2>$null | ForEach-Object { (($_ -split ':\s+')[1] -split '@')[0] } | Where-Object { $_ -match '^vts[0-9a-f]{4}' -and -not (& $isUsers $_) })
        $namespaces | Should -BeNullOrEmpty -Because 'every Slurm lab a test starts is stopped (build/SlurmLab.ps1 -Action Stop)'
        $links | Should -BeNullOrEmpty -Because 'every Slurm lab a test starts is stopped (build/SlurmLab.ps1 -Action Stop)'
        $userFolder = if ($userPrefix) { (Resolve-Path -LiteralPath (Split-Path -Parent $userLab)).ProviderPath + '/' } else { $null }
        $daemons = @(Get-Process -Name 'munged', 'slurmctld', 'slurmd', 'slurmstepd' -ErrorAction SilentlyContinue | Where-Object {
                $_.CommandLine -and $_.CommandLine -match 'virttest-slurmlab-' -and -not ($userFolder -and $_.CommandLine.Contains($userFolder, [StringComparison]::Ordinal))
            })
        $daemons | Should -BeNullOrEmpty -Because "no Slurm daemon of a test lab may survive the tests (left: $($daemons | ForEach-Object { "$($_.Id): $($_.CommandLine)" }))"
    }

    It 'leaves no wineserver of the cmd.exe tests running' {
        if ($sessionOnly) { Set-ItResult -Skipped -Because $sessionOnlyReason; return }
        # The Wine relay keeps its prefix in a virttest-wine-* folder and kills its wineserver
        # at the end; a wineserver names its prefix only in its environment.
        $servers = @(Get-ChildItem /proc -Directory -ErrorAction SilentlyContinue | Where-Object Name -Match '^\d+$' | Where-Object {
                try {
                    $comm = [System.IO.File]::ReadAllText("$($_.FullName)/comm").Trim()
                    $comm -like 'wineserver*' -and [System.IO.File]::ReadAllText("$($_.FullName)/environ").Contains('virttest-wine-')
                }
                catch { $false }
            })
        $servers.Count | Should -Be 0 -Because "every Wine relay kills its wineserver (left: $(($servers | ForEach-Object Name) -join ', '))"
    }
}
