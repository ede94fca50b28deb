<#
.SYNOPSIS
    Runs the Pester tests; called by build.ps1 in a child pwsh so the module loads fresh.

.DESCRIPTION
    Imports Pester from -PesterPath, runs every *.Tests.ps1 under -TestPath (or those
    -OnlyFile names, or all but the -ExcludeFile names; the leftover checks always), writes an
    NUnit XML report to -ResultFile and a small JSON summary (counts) to -SummaryFile,
    which build.ps1 reads. The module under test is found by the tests through
    $env:VIRTTEST_MODULE_PATH.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string[]] $TestPath,
    [Parameter(Mandatory)] [string] $ResultFile,
    [Parameter(Mandatory)] [string] $SummaryFile,
    # Comma-separated lists (a child process gets plain strings).
    [string] $Tag = '',
    [string] $ExcludeTag = '',
    # Comma-separated files (their paths' ends: 'tests/X.Tests.ps1'): run only these (and the
    # leftover checks), or all but these.
    [string] $OnlyFile = '',
    [string] $ExcludeFile = ''
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

Import-Module -Name $PesterPath -Force

$config = New-PesterConfiguration
# pwsh -File passes 'a,b' as one string: split it here. The files are listed one by one so that
# the leftover checks (zz-*.Tests.ps1) run after every other spec, the examples' included.
$testFiles = @($TestPath | ForEach-Object { $_ -split ',' } | Where-Object { $_ } |
        ForEach-Object { Get-ChildItem -LiteralPath $_ -Recurse -File -Filter '*.Tests.ps1' } | Sort-Object FullName)
# -OnlyFile/-ExcludeFile name files by their path's end, case and all ('examples/realguest.Tests.ps1'
# is not 'tests/RealGuest.Tests.ps1').
$only = @($OnlyFile -split ',' | Where-Object { $_ })
$skip = @($ExcludeFile -split ',' | Where-Object { $_ })
$isNamed = { param($File, [string[]] $Names) @($Names | Where-Object { $File.FullName.EndsWith('/' + $_, [StringComparison]::Ordinal) }).Count -gt 0 }
$testFiles = @($testFiles | Where-Object { $_.Name -like 'zz-*' -or ((-not $only.Count -or (& $isNamed $_ $only)) -and -not (& $isNamed $_ $skip)) })
$config.Run.Path = @(@($testFiles | Where-Object Name -NotLike 'zz-*') + @($testFiles | Where-Object Name -Like 'zz-*') | ForEach-Object FullName)
$config.Run.PassThru = $true
$config.Run.Exit = $false
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputFormat = 'NUnitXml'
$config.TestResult.OutputPath = $ResultFile
$tags = @($Tag -split ',' | Where-Object { $_ })
$excluded = @($ExcludeTag -split ',' | Where-Object { $_ })
if ($tags.Count) { $config.Filter.Tag = $tags }
if ($excluded.Count) { $config.Filter.ExcludeTag = $excluded }

$result = Invoke-Pester -Configuration $config

$summary = [ordered]@{
    Result           = [string]$result.Result
    Total            = [int]$result.TotalCount
    Passed           = [int]$result.PassedCount
    Failed           = [int]$result.FailedCount
    Skipped          = [int]$result.SkippedCount
    NotRun           = [int]$result.NotRunCount
    FailedBlocks     = [int]$result.FailedBlocksCount
    FailedContainers = [int]$result.FailedContainersCount
    # Names and first error lines, so the end of a long log says what failed.
    Failures         = @(
        @($result.Failed) | ForEach-Object { "$($_.ExpandedPath): $(@($_.ErrorRecord)[0])" }
        @($result.FailedBlocks) | ForEach-Object { "$($_.Path -join ' / ') (block): $(@($_.ErrorRecord)[0])" }
        @($result.FailedContainers) | ForEach-Object { "$($_.Item) (file): $(@($_.ErrorRecord)[0])" }
    ) | ForEach-Object { ($_ -split "`n")[0] }
}
$summary | ConvertTo-Json | Set-Content -LiteralPath $SummaryFile -Encoding utf8NoBOM

if ($result.Result -eq 'Passed') { exit 0 }
exit 1
