<#
.SYNOPSIS
    The Demo task of build.ps1: expands examples/tests.cfg, then boots the test guest under
    QEMU, hot-plugs a NIC, prints the PCI devices before and after, and stops the guest.
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

# ---------------------------------------------------------------------------------------
# A real guest: boot, hot-plug a NIC, look again, stop. No raw monitor text anywhere.
# ---------------------------------------------------------------------------------------
Write-Host ''
Write-Host 'Booting the test guest (QEMU, TCG)' -ForegroundColor Cyan
$vm = New-VirtVm -TestGuest -Name demo -MemoryMB 256
try {
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $vm | Start-VirtVm -Wait -TimeoutSec 120
    Write-Host ("Guest ready in {0:N1} s (QEMU pid {1})" -f $watch.Elapsed.TotalSeconds, $vm.ProcessId)
    $vm | Format-Table | Out-String -Width 120 | Write-Host

    $before = @(Get-VirtPciInfo -Vm $vm)
    Write-Host "PCI devices before hot-plug: $($before.Count)" -ForegroundColor Cyan
    $before | Format-Table | Out-String -Width 120 | Write-Host

    $nic = Add-VirtPciDevice -Vm $vm -Model e1000 -Id demo-nic
    $after = @(Get-VirtPciInfo -Vm $vm)
    Write-Host "PCI devices after hot-plugging e1000 as 'demo-nic': $($after.Count)" -ForegroundColor Cyan
    $after | Format-Table | Out-String -Width 120 | Write-Host

    Remove-VirtPciDevice -Vm $vm -Id demo-nic
    $final = @(Get-VirtPciInfo -Vm $vm)
    $ok = ($after.Count -eq $before.Count + 1) -and ($final.Count -eq $before.Count) -and ($after.QdevId -contains 'demo-nic')
    $result = if ($ok) { 'PASS' } else { 'FAIL' }
    Write-Host ("RESULT: {0}: e1000 hot-plugged at {1} ({2}), PCI devices {3} -> {4} -> {5} after unplug" -f
        $result, $nic.Address, $nic.VendorDevice, $before.Count, $after.Count, $final.Count) -ForegroundColor $(if ($ok) { 'Green' } else { 'Red' })
}
finally {
    # The busybox guest has no ACPI daemon: after 2 s Stop-VirtVm has QEMU quit.
    $vm | Stop-VirtVm -TimeoutSec 2
    $vm | Remove-VirtVm
}
$left = @(Get-Process -Name 'qemu-system-*' -ErrorAction SilentlyContinue | Where-Object { $_.CommandLine -match 'guest=demo,' })
Write-Host "Guest stopped; QEMU processes left: $($left.Count)"
if (-not $ok -or $left.Count) { exit 1 }
