#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Regenerates the backend capability table in README.md from the code's own capability sets.

.DESCRIPTION
    Loads the built module (out/VirtTest, from build.ps1 -Task Build) and replaces the README
    region between '<!-- capability-table:start -->' and '<!-- capability-table:end -->' with
    the table VirtTest.Core.Vm.CapabilityTable generates: one row per capability, one column
    per registered backend (vm_type), and per variant of a backend whose capabilities depend
    on params (Xen: pv, hvm). With -Check it changes nothing and exits 1 when the README is
    out of date. The xunit test CapabilityTableTests fails in the same case.

.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Build; dotnet pwsh ./build/Update-CapabilityTable.ps1
#>
[CmdletBinding()]
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/VirtTest'),
    [string] $ReadmePath = (Join-Path $PSScriptRoot '../README.md'),
    [switch] $Check
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

Import-Module -Name $ModulePath -Force
$readme = [System.IO.File]::ReadAllText((Resolve-Path -LiteralPath $ReadmePath).ProviderPath)
$updated = [VirtTest.Core.Vm.CapabilityTable]::ReplaceRegion($readme)
if ($updated -ceq $readme) {
    Write-Host "Capability table in $ReadmePath is up to date."
    exit 0
}
if ($Check) {
    Write-Host "Capability table in $ReadmePath is out of date: run build/Update-CapabilityTable.ps1." -ForegroundColor Red
    exit 1
}
[System.IO.File]::WriteAllText((Resolve-Path -LiteralPath $ReadmePath).ProviderPath, $updated)
Write-Host "Capability table in $ReadmePath regenerated."
