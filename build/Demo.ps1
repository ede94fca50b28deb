<#
.SYNOPSIS
    The Demo task of build.ps1: imports the built module and expands examples/tests.cfg.
#>
[CmdletBinding()]
param(
    [string] $ConfigPath = (Join-Path $PSScriptRoot '../examples/tests.cfg')
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
Import-Module -Name $modulePath -Force
$module = Get-Module VirtTest
$configFile = (Resolve-Path -LiteralPath $ConfigPath).ProviderPath

Write-Host ''
Write-Host "VirtTest $($module.Version) from $($module.ModuleBase)" -ForegroundColor Cyan
Write-Host "Cmdlets: $((Get-Command -Module VirtTest | Sort-Object Name).Name -join ', ')"
Write-Host "Config:  $configFile"

$watch = [System.Diagnostics.Stopwatch]::StartNew()
$tests = @(Expand-VirtConfig -Path $configFile)
$watch.Stop()
Write-Host ''
Write-Host ("Expanded {0} test dictionaries in {1:N0} ms" -f $tests.Count, $watch.Elapsed.TotalMilliseconds) -ForegroundColor Green

Write-Host ''
Write-Host 'First 10 tests:' -ForegroundColor Cyan
$tests | Select-Object -First 10 | Format-Table | Out-String -Width 120 | Write-Host

Write-Host 'Tests per guest OS (guest_os):' -ForegroundColor Cyan
$tests | Group-Object { $_['guest_os'] } | Sort-Object Name |
    Format-Table Count, Name -AutoSize | Out-String -Width 120 | Write-Host

Write-Host 'Tests per image format and disk model:' -ForegroundColor Cyan
$tests | Group-Object { $_['image_format'] }, { $_['drive_format'] } | Sort-Object Name |
    Format-Table Count, Name -AutoSize | Out-String -Width 120 | Write-Host

$defaults = @(Expand-VirtConfig -Path $configFile -Defaults)
$filtered = @(Expand-VirtConfig -Path $configFile -Filter 'only Fedora..qcow2', 'no migrate')
Write-Host ("-Defaults: {0} tests; -Filter 'only Fedora..qcow2','no migrate': {1} tests" -f $defaults.Count, $filtered.Count) -ForegroundColor Cyan

Write-Host ''
Write-Host 'First test as YAML (ConvertTo-VirtYaml):' -ForegroundColor Cyan
$tests | Select-Object -First 1 | ConvertTo-VirtYaml | Write-Host
