<#
.SYNOPSIS
    Image benchmark: Convert-VirtImage of a 1 GiB raw image to qcow2 beside qemu-img convert
    itself, side by side in one run; reports the ratio of the medians (target <= 1.03).

.DESCRIPTION
    The source is 1 GiB of non-zero data (one pseudo-random MiB repeated: qemu-img only
    skips zeroes, so every cluster is read, compressed-free copied and written). Each round
    converts it once through the cmdlet (which runs qemu-img convert -p and reads its
    progress, then qemu-img info for the result) and once with a bare
    'qemu-img convert -f raw -O qcow2' from PowerShell; the order alternates round by round so
    that cache and machine noise hit both alike. The destination is deleted before each
    conversion. Called by build.ps1 -Task Bench -BenchArguments storage (with the module in
    $env:VIRTTEST_MODULE_PATH).
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 50)] [int] $Rounds = 9,
    [ValidateRange(1, 16)] [int] $SizeGiB = 1
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module -Name $env:VIRTTEST_MODULE_PATH

$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-storage-bench-$PID"
$null = New-Item -ItemType Directory -Path $dir
try {
    $source = Join-Path $dir 'source.raw'
    $chunk = [byte[]]::new(1MB)
    [System.Random]::new(1).NextBytes($chunk)
    $stream = [System.IO.File]::Create($source)
    try { for ($i = 0; $i -lt $SizeGiB * 1024; $i++) { $stream.Write($chunk, 0, $chunk.Length) } }
    finally { $stream.Dispose() }
    $ours = Join-Path $dir 'cmdlet.qcow2'
    $theirs = Join-Path $dir 'qemu-img.qcow2'

    $measure = @{
        cmdlet   = {
            if (Test-Path -LiteralPath $ours) { Remove-Item -LiteralPath $ours }
            $w = [Diagnostics.Stopwatch]::StartNew()
            $null = Convert-VirtImage -Path $source -Destination $ours -SourceFormat raw -Format qcow2
            $w.Elapsed.TotalSeconds
        }
        baseline = {
            if (Test-Path -LiteralPath $theirs) { Remove-Item -LiteralPath $theirs }
            $w = [Diagnostics.Stopwatch]::StartNew()
            & qemu-img convert -f raw -O qcow2 $source $theirs
            if ($LASTEXITCODE -ne 0) { throw "qemu-img convert failed with exit code $LASTEXITCODE" }
            $w.Elapsed.TotalSeconds
        }
    }
    # One unmeasured conversion each: the source in the page cache, both code paths loaded.
    $null = & $measure.cmdlet
    $null = & $measure.baseline

    $times = @{ cmdlet = [System.Collections.Generic.List[double]]::new(); baseline = [System.Collections.Generic.List[double]]::new() }
    foreach ($round in 1..$Rounds) {
        $order = if ($round % 2) { 'cmdlet', 'baseline' } else { 'baseline', 'cmdlet' }
        foreach ($name in $order) { $times[$name].Add((& $measure[$name])) }
        Write-Host ('  round {0}: Convert-VirtImage {1,6:0.000} s, qemu-img convert {2,6:0.000} s, ratio {3:0.000}' -f $round, $times.cmdlet[-1], $times.baseline[-1], ($times.cmdlet[-1] / $times.baseline[-1]))
    }
    if (-not (Compare-VirtImage -ReferencePath $theirs -DifferencePath $ours -Strict).Identical) { throw 'the two conversions differ' }

    $median = { param($list) $s = @($list | Sort-Object); if ($s.Count % 2) { $s[[int][math]::Floor($s.Count / 2)] } else { ($s[$s.Count / 2 - 1] + $s[$s.Count / 2]) / 2 } }
    $c = & $median $times.cmdlet
    $b = & $median $times.baseline
    Write-Host ''
    Write-Host "Image conversion: $SizeGiB GiB raw -> qcow2, medians of $Rounds rounds, $([Environment]::ProcessorCount) CPUs"
    Write-Host ('  Convert-VirtImage : {0,6:0.000} s ({1:0} MiB/s)' -f $c, ($SizeGiB * 1024 / $c))
    Write-Host ('  qemu-img convert  : {0,6:0.000} s ({1:0} MiB/s)' -f $b, ($SizeGiB * 1024 / $b))
    Write-Host ('  ratio cmdlet/qemu-img = {0:0.000}  (target <= 1.03)' -f ($c / $b))
}
finally {
    Remove-Item -LiteralPath $dir -Recurse -Force
}
