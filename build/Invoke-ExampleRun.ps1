<#
.SYNOPSIS
    Runs the example test run (examples/run/run.cfg) and prints where its three reports are.

.DESCRIPTION
    Called by build.ps1 -Task Examples in a child pwsh. The run has one test that fails on
    purpose (fail_on_purpose): the script succeeds when every other test passed and that one
    failed, so the exit code says whether the examples behave as documented.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $OutputPath
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module -Name $env:VIRTTEST_MODULE_PATH

$root = Split-Path -Parent $PSScriptRoot
$results = @(Invoke-VirtTestRun -Path (Join-Path $root 'examples/run/run.cfg') `
        -TestPath (Join-Path $root 'examples/run/tests'), (Join-Path $root 'examples') -OutputPath $OutputPath)
$results | Format-Table | Out-Host
Get-VirtTestResult -Path $OutputPath -Summary | Format-List Verdict, Passed, Failed, Errors, Skipped, Duration | Out-Host

foreach ($report in 'results.json', 'junit.xml', 'report.html') {
    Write-Host ('  {0,-13} {1}' -f $report, (Join-Path $OutputPath $report))
}
$unexpected = @($results | Where-Object { ($_.ShortName -eq 'fail_on_purpose') -ne ($_.Status -eq 'Fail') })
if ($unexpected.Count) {
    Write-Host "Unexpected results: $(($unexpected | ForEach-Object { "$($_.ShortName) $($_.Status)" }) -join ', ')" -ForegroundColor Red
    exit 1
}
Write-Host 'All example tests behaved as documented (fail_on_purpose fails on purpose).' -ForegroundColor Green
exit 0
