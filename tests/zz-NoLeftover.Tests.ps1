# Runs last (Pester takes the files in name order): after all the other tests, no VM may be
# left in the session and no QEMU process started by this test run may still be alive.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
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
        # build/libvirt-daemon.sh keeps each test daemon's files in a virttest-lvd-* folder.
        $daemons = @(Get-Process -Name 'libvirtd' -ErrorAction SilentlyContinue | Where-Object {
                $_.CommandLine -and $_.CommandLine.Contains('virttest-lvd-', [StringComparison]::Ordinal)
            })
        $daemons.Count | Should -Be 0 -Because "every test stops the libvirtd it started (left: $($daemons | ForEach-Object { "$($_.Id): $($_.CommandLine)" }))"
    }

    It 'leaves no Slurm lab of the tests: no munged, slurmctld or slurmd, no namespace or link of a lab' {
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
}
