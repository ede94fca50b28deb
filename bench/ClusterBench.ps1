<#
.SYNOPSIS
    Cluster benchmark: the same 12 guest-booting tests through a local Slurm lab with 2 nodes,
    with 1 node, and with the local scheduler's 2 workers, side by side in one run.

.DESCRIPTION
    Each test boots its own test guest (kill_vm = yes), logs in on the serial console and runs
    one command. The lab's nodes declare 400 MB and a test's VM needs 256 MB, so each node runs
    one test at a time (placement by memory). For the 1-node runs the second node is drained
    (scontrol update State=DRAIN) and resumed afterwards. The three configurations alternate
    for -Rounds rounds; medians are compared:
      cluster 2 nodes / local 2 workers   (what going through Slurm costs; target <= 1.10)
      cluster 2 nodes / cluster 1 node    (target <= 0.60 on two cores)
    and, per test of the 2-node runs, where the time between tests goes (medians):
      submit -> job process start   Slurm's scheduling, for the tests that found a node free
      job process start -> test start   PowerShell and the module loading, the job's set-up
      test end -> next job's process start on that node   Slurm's hand-off between jobs
      test end -> result merged     the controller noticing the job's end and merging
    Called by build.ps1 -Task Bench -BenchArguments cluster (with the module in
    $env:VIRTTEST_MODULE_PATH). Needs root (the lab).
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 20)] [int] $Rounds = 3,
    [ValidateRange(2, 64)] [int] $Tests = 12
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module -Name $env:VIRTTEST_MODULE_PATH

$labScript = Join-Path $PSScriptRoot '../build/SlurmLab.ps1'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-cluster-bench-$PID"
$labDir = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-slurmlab-bench-$PID"
$null = New-Item -ItemType Directory -Path $dir
$savedConf = $env:SLURM_CONF
$lab = $null
try {
    $lab = & $labScript -Action Start -Path $labDir -Nodes 2 -NodeMemoryMB 400 -NodeCpus 2 6>$null
    $env:SLURM_CONF = $lab.SlurmConf
    $variants = (1..$Tests | ForEach-Object { "    - t$($_):" }) -join "`n"
    Set-Content -LiteralPath (Join-Path $dir 'bench.cfg') -Value @"
vms = vm1
test_guest = yes
start_vm = yes
kill_vm = yes
mem = 256
login_timeout = 300
type = boot_answer
variants:
$variants
"@
    Set-Content -LiteralPath (Join-Path $dir 'boot_answer.ps1') -Value 'param($Session) $null = Invoke-VirtSessionCommand -Session $Session -Command "uname -r"'

    $configs = [ordered]@{
        'local, 2 workers'  = @{ Jobs = 2 }
        'cluster, 2 nodes'  = @{ Cluster = 'Slurm' }
        'cluster, 1 node'   = @{ Cluster = 'Slurm'; Drain = 'n2' }
    }
    $times = @{}
    foreach ($name in $configs.Keys) { $times[$name] = [System.Collections.Generic.List[double]]::new() }
    $twoNodeRuns = [System.Collections.Generic.List[string]]::new()
    foreach ($round in 1..$Rounds) {
        foreach ($name in $configs.Keys) {
            $c = $configs[$name]
            $out = Join-Path $dir "r$round-$($name -replace '\W', '')"
            if ($c.ContainsKey('Drain')) { & scontrol update "NodeName=$($c.Drain)" State=DRAIN Reason=bench | Out-Null }
            try {
                $arguments = @{ Path = (Join-Path $dir 'bench.cfg'); TestPath = $dir; OutputPath = $out }
                if ($c.ContainsKey('Jobs')) { $arguments.Jobs = $c.Jobs }
                if ($c.ContainsKey('Cluster')) { $arguments.Cluster = $c.Cluster }
                $watch = [Diagnostics.Stopwatch]::StartNew()
                $results = @(Invoke-VirtTestRun @arguments)
                $watch.Stop()
            }
            finally {
                if ($c.ContainsKey('Drain')) { & scontrol update "NodeName=$($c.Drain)" State=RESUME | Out-Null }
            }
            $bad = @($results | Where-Object Status -ne Pass)
            if ($results.Count -ne $Tests -or $bad.Count) {
                throw "round $round, $name`: not every test passed: $(($bad | ForEach-Object { "$($_.ShortName) $($_.Status) $($_.Reason)" }) -join '; ')"
            }
            if ($c.ContainsKey('Cluster')) {
                $nodes = @($results.Node | Sort-Object -Unique)
                $expected = if ($c.ContainsKey('Drain')) { 1 } else { 2 }
                if ($nodes.Count -ne $expected) { throw "round $round, $name`: the tests ran on $($nodes -join ', ')" }
                if (-not $c.ContainsKey('Drain')) { $twoNodeRuns.Add($out) }
            }
            $times[$name].Add($watch.Elapsed.TotalSeconds)
            Write-Host ('  round {0}: {1,-17} {2,6:0.00} s' -f $round, $name, $watch.Elapsed.TotalSeconds)
        }
    }

    $median = { param($list) $s = @($list | Sort-Object); if ($s.Count -eq 0) { [double]::NaN } elseif ($s.Count % 2) { $s[[int][math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 } }
    $local = & $median $times['local, 2 workers']
    $two = & $median $times['cluster, 2 nodes']
    $one = & $median $times['cluster, 1 node']

    # Where the time between tests goes, from the 2-node runs' own timestamps.
    $schedule = [System.Collections.Generic.List[double]]::new()
    $startUp = [System.Collections.Generic.List[double]]::new()
    $handOff = [System.Collections.Generic.List[double]]::new()
    $merge = [System.Collections.Generic.List[double]]::new()
    foreach ($out in $twoNodeRuns) {
        $results = @(Get-VirtTestResult -Path $out)
        foreach ($group in $results | Group-Object Node) {
            $sorted = @($group.Group | Sort-Object { $_.Cluster.JobStart })
            for ($i = 0; $i -lt $sorted.Count; $i++) {
                $r = $sorted[$i]
                $end = $r.Start.AddSeconds($r.Duration)
                if ($i -eq 0) { $schedule.Add(($r.Cluster.JobStart - $r.Cluster.Submitted).TotalSeconds) }
                $startUp.Add(($r.Start - $r.Cluster.JobStart).TotalSeconds)
                $merge.Add(($r.Cluster.Merged - $end).TotalSeconds)
                if ($i + 1 -lt $sorted.Count) { $handOff.Add(($sorted[$i + 1].Cluster.JobStart - $end).TotalSeconds) }
            }
        }
    }

    Write-Host ''
    Write-Host "Cluster runs: $Tests guest-booting tests, medians of $Rounds, $([Environment]::ProcessorCount) CPUs, nodes of 400 MB (one 256-MB test each)"
    Write-Host ('  local, 2 workers : {0,6:0.00} s' -f $local)
    Write-Host ('  cluster, 2 nodes : {0,6:0.00} s' -f $two)
    Write-Host ('  cluster, 1 node  : {0,6:0.00} s' -f $one)
    Write-Host ('  ratio 2 nodes / local 2 workers: {0:0.000}  (target <= 1.10)' -f ($two / $local))
    Write-Host ('  ratio 2 nodes / 1 node         : {0:0.000}  (target <= 0.60)' -f ($two / $one))
    Write-Host 'Per test, 2-node runs (medians):'
    Write-Host ('  submit -> job process start (node free)     : {0,6:0.00} s' -f (& $median $schedule))
    Write-Host ('  job process start -> test start (pwsh, set-up): {0,6:0.00} s' -f (& $median $startUp))
    Write-Host ('  test end -> next job process start (hand-off) : {0,6:0.00} s' -f (& $median $handOff))
    Write-Host ('  test end -> result merged (controller)        : {0,6:0.00} s' -f (& $median $merge))
}
finally {
    $env:SLURM_CONF = $savedConf
    if ($lab) { & $labScript -Action Stop -Path $labDir }
    Remove-Item -LiteralPath $dir -Recurse -Force -ErrorAction SilentlyContinue
}
