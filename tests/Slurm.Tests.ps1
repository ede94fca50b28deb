# Pester tests for test runs on a Slurm cluster (Invoke-VirtTestRun -Cluster Slurm): a local lab
# of three nodes (build/SlurmLab.ps1: munge, slurmctld, slurmd in network namespaces), started
# once for the file. Each node declares 400 MB, so a test whose VM needs 256 MB has a node to
# itself: placement by memory is visible. Tagged Slurm; the ones that boot the test guest also
# Guest. Needs root (namespaces) and installs the Slurm packages when missing.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $ProgressPreference = 'SilentlyContinue'
    . (Join-Path $PSScriptRoot 'Shared/SlurmLab.ps1')
    $script:RepoRoot = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '..')).ProviderPath
    $script:lab = Start-TestSlurmLab -Nodes 3 -NodeMemoryMB 400 -NodeCpus 2

    # A folder with a config and test scripts (name -> body).
    function New-RunFolder([string] $Config, [hashtable] $Scripts = @{}) {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ("vt-slurm-test-" + [guid]::NewGuid().ToString('N').Substring(0, 12))
        $null = New-Item -ItemType Directory -Path $dir
        Set-Content -LiteralPath (Join-Path $dir 'run.cfg') -Value $Config
        foreach ($name in $Scripts.Keys) { Set-Content -LiteralPath (Join-Path $dir "$name.ps1") -Value $Scripts[$name] }
        return $dir
    }

    # Every job the lab's controller knows.
    function Get-SlurmJobId { @((& squeue --json | ConvertFrom-Json).jobs | ForEach-Object job_id) }

    # Slurm's own record of every job attempt that ended (JobCompType=jobcomp/filetxt).
    function Get-JobCompletion {
        $file = Join-Path $lab.Path 'log/jobcomp.txt'
        if (-not (Test-Path -LiteralPath $file)) { return }
        foreach ($line in Get-Content -LiteralPath $file) {
            $f = @{}
            foreach ($m in [regex]::Matches($line, '(?:^|\s)(\w+)=(\S*)')) { $f[$m.Groups[1].Value] = $m.Groups[2].Value }
            [pscustomobject]@{
                JobId = $f.JobId; State = $f.JobState; Node = $f.NodeList; NodeCount = [int]$f.NodeCnt
                Start = [datetime]::ParseExact($f.StartTime, 'yyyy-MM-ddTHH:mm:ss', $null)
                End   = [datetime]::ParseExact($f.EndTime, 'yyyy-MM-ddTHH:mm:ss', $null)
            }
        }
    }

    # The QEMU processes running on the lab's nodes (inside their namespaces).
    function Get-NodeQemu { @(Get-TestSlurmNodeProcess $lab | Where-Object Name -like 'qemu-system*') }
}

AfterAll {
    Stop-TestSlurmLab $lab
}

Describe 'Slurm runs: bad input is refused before anything is submitted' -Tag 'Slurm' {
    BeforeAll {
        $script:dir = New-RunFolder -Config @'
vms = vm1
test_guest = yes
start_vm = yes
mem = 256
type = boot
variants:
    - small:
    - huge:
        mem = 4000
'@
        $script:jobsBefore = Get-SlurmJobId
        # Runs a cluster run that must fail; returns its error record.
        function Get-RunError([string[]] $Filter = @('only small'), [hashtable] $Extra = @{}) {
            $out = Join-Path $dir ('results-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
            try {
                $null = Invoke-VirtTestRun -Path (Join-Path $dir 'run.cfg') -TestPath $dir -OutputPath $out -Cluster Slurm -Filter $Filter @Extra
            }
            catch {
                $out | Should -Not -Exist -Because 'a refused run writes no results folder'
                return $_
            }
            throw 'the run was not refused'
        }
    }
    AfterAll { Remove-Item -LiteralPath $dir -Recurse -Force }

    It 'says the Slurm client is not installed when sbatch is not on PATH' {
        $saved = $env:PATH
        $env:PATH = Join-Path $dir 'no-such-bin'
        try { $err = Get-RunError } finally { $env:PATH = $saved }
        $err.FullyQualifiedErrorId | Should -BeLike 'VirtTest.Slurm.NotInstalled,*'
        $err.CategoryInfo.Category | Should -Be 'NotInstalled'
        $err.Exception.Message | Should -Match "'sbatch'.*slurm-client"
    }

    It 'says SLURM_CONF points nowhere' {
        $saved = $env:SLURM_CONF
        $env:SLURM_CONF = Join-Path $dir 'missing/slurm.conf'
        try { $err = Get-RunError } finally { $env:SLURM_CONF = $saved }
        $err.FullyQualifiedErrorId | Should -BeLike 'VirtTest.Slurm.ConfigNotFound,*'
        $err.Exception.Message | Should -BeLike "*$(Join-Path $dir 'missing/slurm.conf')*does not exist*"
    }

    It 'names the partitions there are when the one asked for does not exist' {
        $err = Get-RunError -Extra @{ Partition = 'no_such_partition' }
        $err.FullyQualifiedErrorId | Should -BeLike 'VirtTest.Slurm.PartitionNotFound,*'
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $err.Exception.Message | Should -Be "Slurm has no partition 'no_such_partition'. Partitions: vm."
    }

    It 'names the test that needs more memory than any node has' {
        $err = Get-RunError -Filter @()
        $err.FullyQualifiedErrorId | Should -BeLike 'VirtTest.Slurm.TestTooLarge,*'
        $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        $err.Exception.Message | Should -BeLike "Test 'huge' cannot run on this cluster: its VMs need 4000 MB of memory, and the largest node of partition 'vm' (n*) has 400 MB.*"
    }

    It 'names the features no node offers' {
        $err = Get-RunError -Extra @{ Constraint = 'gpu' }
        $err.FullyQualifiedErrorId | Should -BeLike 'VirtTest.Slurm.TestTooLarge,*'
        $err.Exception.Message | Should -BeLike "*no node of partition 'vm' has the features 'qemu&gpu' (nodes offer: qemu)*"
    }

    It 'submitted no job for any of them' {
        @(Get-SlurmJobId | Where-Object { $jobsBefore -notcontains $_ }) | Should -BeNullOrEmpty
    }
}

Describe 'Slurm runs without VMs: statuses and dependencies as in a local run' -Tag 'Slurm' {
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
    - after_passes: passes
        type = check
        expected = 4
    - skips:
        type = skip_me
'@ -Scripts @{
            check   = 'param($Params) if (2 + 2 -ne [int]$Params.expected) { throw "2 + 2 is not $($Params.expected)" }'
            skip_me = 'throw [VirtTest.Core.Runner.TestSkippedException]::new("nothing to test here")'
        }
        $script:localOut = Join-Path $dir 'local'
        $script:clusterOut = Join-Path $dir 'cluster'
        $script:local = @(Invoke-VirtTestRun -Path (Join-Path $dir 'run.cfg') -TestPath $dir -OutputPath $localOut -Jobs 2)
        $script:cluster = @(Invoke-VirtTestRun -Path (Join-Path $dir 'run.cfg') -TestPath $dir -OutputPath $clusterOut -Cluster Slurm)
        $script:byName = @{}
        foreach ($r in $cluster) { $byName[$r.ShortName] = $r }
    }
    AfterAll { Remove-Item -LiteralPath $dir -Recurse -Force }

    It 'gives every test the status and reason of the local run' {
        $cluster.Count | Should -Be 5
        foreach ($l in $local) {
            $c = $byName[$l.ShortName]
            "$($c.ShortName) $($c.Status) $($c.Reason -replace ' \(check\.ps1:\d+\)$')" | Should -Be "$($l.ShortName) $($l.Status) $($l.Reason -replace ' \(check\.ps1:\d+\)$')"
        }
        $byName.after_fails.Reason | Should -Be 'dependency fails did not pass (FAIL)'
    }

    It 'runs a dependent test only after its dependency passed (afterok)' {
        $passesEnd = $byName.passes.Start.AddSeconds($byName.passes.Duration)
        $byName.after_passes.Start | Should -BeGreaterOrEqual $passesEnd
        $byName.after_passes.Status | Should -Be Pass
    }

    It 'records the node, job and attempt of each test, and the run as a Slurm run' {
        foreach ($r in $cluster | Where-Object Status -ne Skip) {
            $r.Node | Should -BeIn @($lab.Nodes.Name)
            $r.Cluster.Job | Should -Match '^\d+$'
            $r.Cluster.Attempt | Should -Be 0
            $r.Cluster.EarlierAttempts | Should -BeNullOrEmpty
            $r.Worker | Should -Be 0
            Join-Path $clusterOut $r.Logs[0] | Should -Exist
        }
        $json = Get-Content -Raw -LiteralPath (Join-Path $clusterOut 'results.json') | ConvertFrom-Json
        $json.run.scheduler | Should -Be 'slurm'
        $json.run.partition | Should -Be 'vm'
        $json.run.state | Should -Be 'COMPLETED'
    }

    It 'removes the job specs (they hold the params) when the run ends' {
        Join-Path $clusterOut 'jobs/specs' | Should -Not -Exist
        @(Get-ChildItem -LiteralPath (Join-Path $clusterOut 'jobs') -Recurse -Filter 'attempt.json').Count | Should -Be 4
    }
}

Describe 'Slurm runs: the example run' -Tag 'Slurm', 'Guest' {
    BeforeAll {
        $script:dir = Join-Path ([System.IO.Path]::GetTempPath()) ("vt-slurm-example-" + [guid]::NewGuid().ToString('N').Substring(0, 12))
        $config = Join-Path $RepoRoot 'examples/run/run.cfg'
        $tests = (Join-Path $RepoRoot 'examples/run/tests'), (Join-Path $RepoRoot 'examples')
        $script:local = @(Invoke-VirtTestRun -Path $config -TestPath $tests -OutputPath (Join-Path $dir 'local') -Jobs 2)
        $script:jobsBefore = Get-SlurmJobId
        $script:out = Join-Path $dir 'cluster'
        $script:cluster = @(Invoke-VirtTestRun -Path $config -TestPath $tests -OutputPath $out -Cluster Slurm)
        $script:jobIds = @($cluster.Cluster.Job)
    }
    AfterAll { Remove-Item -LiteralPath $dir -Recurse -Force }

    It 'gives the same statuses as the local run' {
        $cluster.Count | Should -Be $local.Count
        $expected = @($local | Sort-Object Index | ForEach-Object { "$($_.ShortName)=$($_.Status)" })
        @($cluster | Sort-Object Index | ForEach-Object { "$($_.ShortName)=$($_.Status)" }) | Should -Be $expected
        ($cluster | Where-Object ShortName -eq 'fail_on_purpose').Status | Should -Be Fail
        # boot and the four pci_hotplug variants (two NICs, two disks) pass.
        @($cluster | Where-Object Status -eq Pass).Count | Should -Be 5
    }

    It 'names at least two nodes, in results.json, junit.xml and report.html' {
        $nodes = @($cluster.Node | Sort-Object -Unique)
        $nodes.Count | Should -BeGreaterOrEqual 2
        $json = Get-Content -Raw -LiteralPath (Join-Path $out 'results.json') | ConvertFrom-Json
        @($json.tests.node | Sort-Object -Unique) | Should -Be $nodes
        $junit = [xml](Get-Content -Raw -LiteralPath (Join-Path $out 'junit.xml'))
        @($junit.testsuites.testsuite.testcase.properties.property | Where-Object name -eq 'node' | ForEach-Object value | Sort-Object -Unique) | Should -Be $nodes
        $html = Get-Content -Raw -LiteralPath (Join-Path $out 'report.html')
        foreach ($n in $nodes) { $html | Should -Match "<td class=`"node`">$n<" }
        $html | Should -Match 'Slurm partition vm'
    }

    It 'keeps each test''s logs and screenshots, reachable from the results folder' {
        $failed = $cluster | Where-Object ShortName -eq 'fail_on_purpose'
        $failed.Logs | Should -Contain ($failed.Directory + '/vm1-console.log')
        $failed.Screenshots | Should -Contain ($failed.Directory + '/vm1-final.png')
        foreach ($f in @($cluster.Logs) + @($cluster.Screenshots)) { Join-Path $out $f | Should -Exist }
    }

    It 'never runs two tests at once on a node with memory for one' {
        $attempts = @(Get-JobCompletion | Where-Object { $jobIds -contains $_.JobId })
        $attempts.Count | Should -Be $cluster.Count
        foreach ($group in $attempts | Group-Object Node) {
            $sorted = @($group.Group | Sort-Object Start)
            for ($i = 1; $i -lt $sorted.Count; $i++) {
                $sorted[$i].Start | Should -BeGreaterOrEqual $sorted[$i - 1].End -Because "jobs $($sorted[$i - 1].JobId) and $($sorted[$i].JobId) shared node $($group.Name) (400 MB, 256 MB each)"
            }
        }
        # Six tests on three nodes (two CPUs each, one per test): memory made some of them wait.
        @($attempts | Group-Object Node | Where-Object Count -ge 2).Count | Should -BeGreaterOrEqual 1
    }
}

Describe 'Slurm runs: a node that dies or is cut off' -Tag 'Slurm', 'Guest' {
    BeforeAll {
        # Both tests wait in their bodies until the nodes' failures are set up. 'killed' then
        # just passes on its next attempt; 'cut_off' keeps running on its cut-off node and
        # writes a FAIL there late (a network partition), which must never replace the PASS of
        # its requeued attempt: that attempt waits until the late result exists.
        $script:dir = New-RunFolder -Config @'
vms = vm1
test_guest = yes
start_vm = yes
mem = 256
login_timeout = 120
test_timeout = 300
kill_vm = yes
type = survive
variants:
    - killed:
    - cut_off:
'@ -Scripts @{
            survive = @'
param($Session, $Params, $TestDirectory)
$null = Invoke-VirtSessionCommand -Session $Session -Command 'uname -r'
if ([int]$env:SLURM_RESTART_COUNT -eq 0) {
    Start-Sleep -Seconds 45
    throw "first attempt of $($Params.shortname): its result comes too late to count"
}
# The attempt folders sit side by side: <job>/attempt<N>/<test>/; the first one's results.json.
$first = Join-Path (Get-Item -LiteralPath $TestDirectory).Parent.Parent.Parent.FullName 'attempt0/results.json'
if ($Params.shortname -eq 'cut_off') {
    $deadline = (Get-Date).AddSeconds(120)
    # results.json exists from the attempt's start; the result is in once the run has its end.
    function Test-FirstEnded { (Test-Path -LiteralPath $first) -and $null -ne (Get-Content -Raw -LiteralPath $first | ConvertFrom-Json).run.end }
    while (-not (Test-FirstEnded) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 500 }
    if (-not (Test-FirstEnded)) { throw 'the first attempt never wrote its result' }
}
'@
        }
        $out = Join-Path $dir 'results'
        $job = Invoke-VirtTestRun -Path (Join-Path $dir 'run.cfg') -TestPath $dir -OutputPath $out -Cluster Slurm -AsJob
        $deadline = (Get-Date).AddSeconds(180)
        do {
            Start-Sleep -Milliseconds 500
            $inBody = @(Get-ChildItem -Path "$out/jobs/*/attempt0/tests/*/debug.log" -ErrorAction SilentlyContinue | Where-Object { (Get-Content -Raw $_) -match 'running .*survive\.ps1' })
        } until ($inBody.Count -ge 2 -or (Get-Date) -gt $deadline)
        $script:firstNodes = @{}
        foreach ($start in Get-ChildItem -Path "$out/jobs/*/attempt0/attempt.json") {
            $a = Get-Content -Raw -LiteralPath $start.FullName | ConvertFrom-Json
            $name = (Get-ChildItem -LiteralPath (Join-Path $start.DirectoryName 'tests') -Directory).Name -replace '^\d+-'
            $firstNodes[$name] = $a.node
        }
        $script:qemuBefore = @(Get-NodeQemu)
        & $lab.Script -Action KillNode -Path $lab.Path -Node $firstNodes.killed
        & $lab.Script -Action DisconnectNode -Path $lab.Path -Node $firstNodes.cut_off
        $script:results = @($job | Receive-Job -Wait -AutoRemoveJob)
        $script:byName = @{}
        foreach ($r in $results) { $byName[$r.ShortName] = $r }
    }
    AfterAll {
        & $lab.Script -Action StartNode -Path $lab.Path -Node $firstNodes.killed
        & $lab.Script -Action ConnectNode -Path $lab.Path -Node $firstNodes.cut_off
        Remove-Item -LiteralPath $dir -Recurse -Force
    }

    It 'had both tests running on two nodes before the failures' {
        $firstNodes.Count | Should -Be 2
        $firstNodes.killed | Should -Not -Be $firstNodes.cut_off
        $qemuBefore.Count | Should -Be 2
    }

    It 'requeues the test of the killed node: it passes on another node, and its first attempt is recorded' {
        $r = $byName.killed
        $r.Status | Should -Be Pass
        $r.Node | Should -Not -Be $firstNodes.killed
        $r.Cluster.Attempt | Should -Be 1
        $r.Cluster.EarlierAttempts.Count | Should -Be 1
        $r.Cluster.EarlierAttempts[0].Node | Should -Be $firstNodes.killed
        $r.Cluster.EarlierAttempts[0].Reason | Should -BeLike "node $($firstNodes.killed) failed (down*Not responding*); Slurm requeued the job"
        $r.Logs | Should -Not -BeNullOrEmpty
        $r.Logs | ForEach-Object { $_ | Should -BeLike "jobs/$($r.Cluster.Job)/attempt1/*" }
    }

    It 'keeps the final attempt of a cut-off node''s test, and records the late result of the first as not counted' {
        $r = $byName.cut_off
        $r.Status | Should -Be Pass
        $r.Node | Should -Not -Be $firstNodes.cut_off
        $r.Cluster.Attempt | Should -Be 1
        $r.Cluster.EarlierAttempts[0].Node | Should -Be $firstNodes.cut_off
        $r.Cluster.EarlierAttempts[0].LateStatus | Should -Be Fail
        # The late result stayed in its own attempt's folder.
        $late = Get-VirtTestResult -Path (Join-Path $dir "results/jobs/$($r.Cluster.Job)/attempt0")
        $late.Status | Should -Be Fail
        $late.Reason | Should -BeLike 'first attempt of cut_off: its result comes too late to count*'
        (Get-VirtTestResult -Path (Join-Path $dir 'results') | Where-Object ShortName -eq 'cut_off').Status | Should -Be Pass
    }

    It 'shows the earlier attempts in the report' {
        $html = Get-Content -Raw -LiteralPath (Join-Path $dir 'results/report.html')
        $html | Should -Match "attempt 0 on $($firstNodes.killed): node $($firstNodes.killed) failed"
        $junit = [xml](Get-Content -Raw -LiteralPath (Join-Path $dir 'results/junit.xml'))
        @($junit.testsuites.testsuite.testcase.properties.property | Where-Object name -eq 'earlier_attempt').Count | Should -Be 2
    }
}

Describe 'Slurm runs: Ctrl+C' -Tag 'Slurm', 'Guest' {
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

    It 'cancels every job, running and pending, and leaves no QEMU on any node' {
        $out = Join-Path $dir 'results'
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddCommand('Import-Module').AddParameter('Name', (Get-Module VirtTest).Path).AddStatement()
            $null = $ps.AddCommand('Invoke-VirtTestRun').AddParameter('Path', (Join-Path $dir 'run.cfg')).AddParameter('TestPath', $dir).
                AddParameter('OutputPath', $out).AddParameter('Cluster', 'Slurm')
            $handle = $ps.BeginInvoke()
            # Three nodes, each with a test in its body (and a VM); the fourth test waits for a node.
            $deadline = (Get-Date).AddSeconds(180)
            do {
                Start-Sleep -Milliseconds 500
                $inBody = @(Get-ChildItem -Path "$out/jobs/*/attempt0/tests/*/debug.log" -ErrorAction SilentlyContinue | Where-Object { (Get-Content -Raw $_) -match 'running .*hang\.ps1' })
            } until ($inBody.Count -ge 3 -or (Get-Date) -gt $deadline)
            $inBody.Count | Should -Be 3
            (Get-NodeQemu).Count | Should -Be 3
            $ps.Stop()
            $deadline = (Get-Date).AddSeconds(30)
            while (-not $handle.IsCompleted -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
            $handle.IsCompleted | Should -BeTrue
        }
        finally {
            $ps.Dispose()
        }
        Get-NodeQemu | Should -BeNullOrEmpty
        $summary = Get-VirtTestResult -Path $out -Summary
        $summary.State | Should -Be Interrupted
        $summary.Cancelled | Should -Be 3
        $summary.NotRun | Should -Be 1
        (Get-VirtTestResult -Path $out | ForEach-Object Reason | Sort-Object -Unique) | Should -Be 'interrupted by the user'
        $ids = @((Get-Content -Raw -LiteralPath (Join-Path $out 'results.json') | ConvertFrom-Json).tests.cluster.job)
        $states = @((& squeue --json | ConvertFrom-Json).jobs | Where-Object { $ids -contains "$($_.job_id)" -or $_.name -eq 'vt-d' } | ForEach-Object job_state | Sort-Object -Unique)
        $states | Should -Be 'CANCELLED'
    }
}

Describe 'Slurm runs: a migration across two nodes' -Tag 'Slurm', 'Guest' {
    BeforeAll {
        $script:dir = Join-Path ([System.IO.Path]::GetTempPath()) ("vt-slurm-migration-" + [guid]::NewGuid().ToString('N').Substring(0, 12))
        $script:results = @(Invoke-VirtTestRun -Path (Join-Path $RepoRoot 'examples/cluster/cluster.cfg') -Filter 'only migrate_to_node' -OutputPath $dir -Cluster Slurm)
        $script:r = $results[0]
    }
    AfterAll { Remove-Item -LiteralPath $dir -Recurse -Force }

    It 'gets a two-node job, moves the guest from one node to the other and finds it intact there' {
        $results.Count | Should -Be 1
        $r.Status | Should -Be Pass -Because $r.Reason
        $job = @(Get-JobCompletion | Where-Object JobId -eq $r.Cluster.Job)
        $job.Count | Should -Be 1
        $job[0].NodeCount | Should -Be 2
        $log = Get-Content -Raw -LiteralPath (Join-Path $dir ($r.Logs | Where-Object { $_ -like '*/debug.log' }))
        $move = [regex]::Match($log, "migrating vm1 from $($r.Node) to (n\d) \(tcp:10\.77\.\d+\.\d+:\d+\)")
        $move.Success | Should -BeTrue -Because "the test's log says where the guest went: $log"
        $destination = $move.Groups[1].Value
        $destination | Should -Not -Be $r.Node
        ($lab.Nodes | Where-Object Name -eq $destination).Address | Should -Be ([regex]::Match($log, 'tcp:([\d.]+):').Groups[1].Value)
        $log | Should -Match 'guest runs on the destination with its memory intact'
        # The destination's console log (written on the other node) is part of the result.
        $r.Logs | Should -Contain ($r.Directory + "/vm1-console-$destination.log")
    }

    It 'leaves no QEMU on either node' {
        Get-NodeQemu | Should -BeNullOrEmpty
    }
}
