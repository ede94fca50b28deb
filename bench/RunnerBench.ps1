<#
.SYNOPSIS
    Test-run benchmark: the same 8 guest-booting tests with 1 worker and with 2 workers,
    side by side in one run; reports the wall-time ratio (2 workers / 1 worker).

.DESCRIPTION
    Each test boots its own test guest (kill_vm = yes), logs in on the serial console and runs
    one command, as a short real test does. The two configurations alternate for -Rounds rounds
    and the medians are compared. Target on two cores: ratio <= 0.6. Called by
    build.ps1 -Task Bench (with the module in $env:VIRTTEST_MODULE_PATH).
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 20)] [int] $Rounds = 3,
    [ValidateRange(2, 64)] [int] $Tests = 8
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module -Name $env:VIRTTEST_MODULE_PATH

$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-runner-bench-$PID"
$null = New-Item -ItemType Directory -Path $dir
try {
    $variants = (1..$Tests | ForEach-Object { "    - t$($_):" }) -join "`n"
    Set-Content -LiteralPath (Join-Path $dir 'bench.cfg') -Value @"
vms = vm1
test_guest = yes
start_vm = yes
kill_vm = yes
mem = 256
login_timeout = 120
type = boot_answer
variants:
$variants
"@
    Set-Content -LiteralPath (Join-Path $dir 'boot_answer.ps1') -Value 'param($Session) $null = Invoke-VirtSessionCommand -Session $Session -Command "uname -r"'

    $times = @{ 1 = [System.Collections.Generic.List[double]]::new(); 2 = [System.Collections.Generic.List[double]]::new() }
    foreach ($round in 1..$Rounds) {
        foreach ($jobs in 1, 2) {
            $out = Join-Path $dir "r$round-j$jobs"
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $results = @(Invoke-VirtTestRun -Path (Join-Path $dir 'bench.cfg') -TestPath $dir -OutputPath $out -Jobs $jobs)
            $watch.Stop()
            $bad = @($results | Where-Object Status -ne Pass)
            if ($results.Count -ne $Tests -or $bad.Count) {
                throw "round $round, $jobs worker(s): not every test passed: $(($bad | ForEach-Object { "$($_.ShortName) $($_.Status) $($_.Reason)" }) -join '; ')"
            }
            $times[$jobs].Add($watch.Elapsed.TotalSeconds)
            Write-Host ('  round {0}: {1} worker(s) {2,6:0.00} s' -f $round, $jobs, $watch.Elapsed.TotalSeconds)
        }
    }
    $median = { param($list) $s = @($list | Sort-Object); if ($s.Count % 2) { $s[[int][math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 } }
    $one = & $median $times[1]
    $two = & $median $times[2]
    Write-Host ''
    Write-Host "Test runs: $Tests guest-booting tests, medians of $Rounds, $([Environment]::ProcessorCount) CPUs"
    Write-Host ('  1 worker : {0,6:0.00} s' -f $one)
    Write-Host ('  2 workers: {0,6:0.00} s' -f $two)
    Write-Host ('  ratio 2/1: {0:0.000}  (target <= 0.6)' -f ($two / $one))
}
finally {
    Remove-Item -LiteralPath $dir -Recurse -Force
}
