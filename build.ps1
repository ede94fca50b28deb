#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds, tests and demonstrates the VirtTest PowerShell module.

.DESCRIPTION
    Tasks:
      Build  dotnet build VirtTest.sln, then assemble the loadable module in out/VirtTest/
             (VirtTest.psd1, VirtTest.PowerShell.dll, VirtTest.Core.dll, YamlDotNet.dll,
             VirtTest.Format.ps1xml, en-US/ MAML help and about topics).
      Test   Build and Guest, then the xunit tests (dotnet test, TRX) and the Pester tests
             (tests/*.Tests.ps1, in a child pwsh). Ends with the line 'N passed, N failed'
             and exits 1 if anything failed or a runner crashed.
      Guest  Build the test guest (Debian cloud kernel + busybox initramfs) into .build/guest/,
             installing qemu-system-x86, qemu-utils, busybox-static and cpio when missing
             (as root; otherwise it prints the apt-get command), then the Debian 12 disk
             image (build/New-DebianGuest.ps1, mmdebstrap; needs root) into
             .build/guest/debian12/. Both cached between runs.
      Demo   Build and Guest, then boot the test guest, hot-plug a NIC, print the PCI devices
             before and after, and stop the guest.
      Examples  Build and Guest, then run the example test run (examples/run/run.cfg with
             Invoke-VirtTestRun): results.json, junit.xml and report.html under results/.
      Fuzz   Build, then a long fuzz run of the Cartesian config engine: -FuzzIterations mutated
             configs (default 1,000,000) on every core, a new seed each run (printed; replay
             with VIRTTEST_FUZZ_SEED and VIRTTEST_FUZZ_WORKERS). Inputs that make the engine throw
             anything but a config error are saved to tests/conformance/fuzz-regressions/.
      Bench  Benchmarks (-BenchArguments picks one: config, qemu, session, runner, storage, rss,
             xen, cluster, network; default all but rss, xen, cluster and network): Cartesian
             config benchmark (bench/VirtTest.Bench): dicts/s, peak memory, x100 memory ratio
             and, with -ReferenceParser, the speed ratio against the reference. storage:
             Convert-VirtImage of 1 GiB beside qemu-img convert (bench/StorageBench.ps1), then
             disk hot-plug latency beside a raw QMP client. rss: RSS file transfer of a 100 MiB
             file and 1,000 small files beside a minimal client. xen: starts the Xen lab (unless
             one runs), reports its boot time and 'xl list' over SSH through VirtTest beside 'ssh
             host xl list', stops the lab it started. cluster: 12 guest-booting tests through a
             local Slurm lab against local workers (bench/ClusterBench.ps1). network (as root):
             host-to-guest TCP over a tap on a test network's bridge, VirtTest-started VM vs the
             same command line by hand, and the guest-address lookup latency.
      XenLab The nested Xen lab (build/XenLab.ps1): -XenLabAction Start (default; builds the
             dom0 image when missing or outdated), Stop, Status or Build. Test starts it for a first
             pass of the Xen-tagged tests and stops it before the rest (unless -ExcludeTag Xen).
      Cluster  Starts (-ClusterAction Start, the default), stops (Stop) or shows (Status) a
             local Slurm lab in .build/slurm-lab (build/SlurmLab.ps1): munge, slurmctld and
             -ClusterNodes compute nodes in network namespaces; installs the Slurm packages
             when missing (as root). Start prints the SLURM_CONF to set.

    Anything missing is installed: the PowerShell tool from .config/dotnet-tools.json
    (dotnet tool restore) and Pester from NuGet (restore-only project under .build/).

.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test

.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Test -ExcludeTag Guest
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Guest', 'Test', 'Demo', 'Examples', 'Bench', 'Fuzz', 'XenLab', 'Cluster')]
    [string] $Task = 'Build',

    # XenLab: what to do with the lab.
    [ValidateSet('Start', 'Stop', 'Status', 'Build')]
    [string] $XenLabAction = 'Start',

    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    # Pester tags to run / to leave out (for example -ExcludeTag Guest).
    [string[]] $Tag = @(),
    [string[]] $ExcludeTag = @(),

    # Iterations for the fuzz tests (VIRTTEST_FUZZ_ITERATIONS): with -Task Test when above 0,
    # with -Task Fuzz (default 1,000,000).
    [ValidateRange(0, [int]::MaxValue)]
    [int] $FuzzIterations = 0,

    # Bench: the reference parser (avocado-vt's cartesian_config.py) to run side by side
    # for the speed ratio. Not shipped with VirtTest; also read from VIRTTEST_REFERENCE_PARSER.
    [string] $ReferenceParser = '',

    # Cluster: what to do with the local Slurm lab, and how many nodes it starts with.
    [ValidateSet('Start', 'Stop', 'Status')]
    [string] $ClusterAction = 'Start',
    [ValidateRange(1, 32)]
    [int] $ClusterNodes = 3,

    # Extra arguments for the Bench task, passed through to the benchmark program.
    [Parameter(ValueFromRemainingArguments)]
    [string[]] $BenchArguments = @()
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $false
$ProgressPreference = 'SilentlyContinue'

$Root = $PSScriptRoot
Import-Module (Join-Path $Root 'build/BuildCommon.psm1') -Force
$OutRoot = Join-Path $Root 'out'
$ModuleOut = Join-Path $OutRoot 'VirtTest'
$WorkDir = Join-Path $Root '.build'
$ResultsDir = Join-Path $WorkDir 'TestResults'
$GuestDir = Join-Path $WorkDir 'guest'
$XenLabDir = Join-Path $WorkDir 'xenlab/lab'
# Tests, the demo and New-VirtVm -TestGuest find the guest through this variable.
if (-not $env:VIRTTEST_TEST_GUEST) { $env:VIRTTEST_TEST_GUEST = $GuestDir }
$PesterVersion = '5.7.1'
# Pester files of the main pass run by a second child pwsh beside the rest (Start-PesterSibling).
# Both mostly wait for guests under TCG: the help examples boot one each, one after another,
# and the real-guest examples boot the Debian guest four times (together about 10 minutes).
$PesterSiblingFiles = @('tests/Module.Meta.Tests.ps1', 'examples/realguest.Tests.ps1')
# The Xen lab image's build beside the guests' (Start-XenImageBuild), while it runs.
$XenImageBuild = $null
$TargetFramework = 'net8.0'

# ---------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------

function Write-Step([string] $Message) {
    Write-Host "==> $Message" -ForegroundColor Cyan
}

# Runs a native command from an argument array (never a composed command string) and
# returns its exit code; throws on a non-zero exit code unless -AllowFailure.
function Invoke-Native {
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [switch] $AllowFailure
    )
    & $FilePath @ArgumentList | Out-Host
    $code = $LASTEXITCODE
    if ($code -ne 0 -and -not $AllowFailure) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $code."
    }
    return $code
}

# Runs a script in a fresh child pwsh (dotnet pwsh, from the repository's tool manifest)
# with extra environment variables; returns the exit code.
function Invoke-ChildPwsh {
    param(
        [Parameter(Mandatory)] [string] $ScriptPath,
        [string[]] $ArgumentList = @(),
        [hashtable] $Environment = @{}
    )
    $saved = @{}
    foreach ($name in $Environment.Keys) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, [string]$Environment[$name])
    }
    Push-Location -LiteralPath $Root
    try {
        $arguments = @('pwsh', '-NoLogo', '-NoProfile', '-NonInteractive', '-File', $ScriptPath) + $ArgumentList
        & dotnet @arguments | Out-Host
        return $LASTEXITCODE
    }
    finally {
        Pop-Location
        foreach ($name in $saved.Keys) {
            [Environment]::SetEnvironmentVariable($name, $saved[$name])
        }
    }
}

# A child pwsh that runs beside this script: its output goes to $LogPath, its environment is
# this one plus $Environment. Wait-ChildPwshLogged waits for it and prints the log.
function Start-ChildPwshLogged([string] $ScriptPath, [string[]] $ArgumentList = @(), [hashtable] $Environment = @{}, [string] $LogPath) {
    $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $LogPath)
    $start = [System.Diagnostics.ProcessStartInfo]::new('bash')
    # The log's path and the command are arguments of the fixed script, never part of it.
    $arguments = @('-c', 'log=$1; shift; exec "$@" >"$log" 2>&1', 'virttest-child', $LogPath,
        'dotnet', 'pwsh', '-NoLogo', '-NoProfile', '-NonInteractive', '-File', $ScriptPath) + $ArgumentList
    foreach ($a in $arguments) { $start.ArgumentList.Add($a) }
    foreach ($name in $Environment.Keys) { $start.Environment[$name] = [string]$Environment[$name] }
    $start.WorkingDirectory = $Root
    $start.UseShellExecute = $false
    [pscustomobject]@{ Process = [System.Diagnostics.Process]::Start($start); Log = $LogPath }
}

# Waits for a child of Start-ChildPwshLogged and prints its log; returns its exit code.
# -Abandon ends it instead (with its children: mmdebstrap, QEMU) and prints nothing.
function Wait-ChildPwshLogged($Child, [string] $Title, [switch] $Abandon) {
    if ($Abandon -and -not $Child.Process.HasExited) {
        $Child.Process.Kill($true)
        $Child.Process.WaitForExit()
        return -1
    }
    $Child.Process.WaitForExit()
    $code = $Child.Process.ExitCode
    Write-Step "$Title ended (exit code $code); its output:"
    if (Test-Path -LiteralPath $Child.Log) { Get-Content -LiteralPath $Child.Log | Out-Host }
    $Child.Process.Dispose()
    return $code
}

function Get-NuGetPackagesRoot {
    if ($env:NUGET_PACKAGES) { return $env:NUGET_PACKAGES }
    return Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages'
}

function Initialize-Tools {
    Write-Step 'dotnet tool restore (PowerShell tool from .config/dotnet-tools.json)'
    Push-Location -LiteralPath $Root
    try { $null = Invoke-Native dotnet @('tool', 'restore') }
    finally { Pop-Location }
}

# Returns the path of Pester.psd1, downloading Pester from NuGet when it is missing.
function Initialize-Pester {
    $manifest = Join-Path (Get-NuGetPackagesRoot) "pester/$PesterVersion/tools/Pester.psd1"
    if (Test-Path -LiteralPath $manifest) { return $manifest }

    Write-Step "Downloading Pester $PesterVersion from NuGet"
    $projectDir = Join-Path $WorkDir 'pester-restore'
    $null = New-Item -ItemType Directory -Force -Path $projectDir
    $project = Join-Path $projectDir 'PesterRestore.csproj'
    # Restore-only project: PackageDownload fetches the package without referencing it.
    @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <IsPackable>false</IsPackable>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="Pester" Version="[$PesterVersion]" />
  </ItemGroup>
</Project>
"@ | Set-Content -LiteralPath $project -Encoding utf8NoBOM
    $null = Invoke-Native dotnet @('restore', $project, '--nologo')
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "Pester $PesterVersion was restored but $manifest does not exist."
    }
    return $manifest
}

# ---------------------------------------------------------------------------------
# tasks
# ---------------------------------------------------------------------------------

# Precompiles VirtTest.Core (ReadyToRun, build/ReadyToRun) for the .NET runtime PowerShell runs
# on and returns the path of the precompiled VirtTest.Core.dll (same IL, native code added).
function Invoke-ReadyToRunCore {
    Write-Step 'ReadyToRun: precompiling VirtTest.Core (build/ReadyToRun)'
    $dir = Join-Path $WorkDir 'readytorun'
    $null = Invoke-Native dotnet @('publish', (Join-Path $Root 'build/ReadyToRun/ReadyToRun.csproj'),
        '-c', $Configuration, '-o', $dir, '--nologo', '-v', 'minimal')
    $dll = Join-Path $dir 'VirtTest.Core.dll'
    if (-not (Test-Path -LiteralPath $dll)) { throw "ReadyToRun compilation did not produce $dll." }
    return $dll
}

function Invoke-Build {
    Initialize-Tools   # the MAML generator runs in a child 'dotnet pwsh'
    Write-Step "dotnet build VirtTest.sln -c $Configuration"
    $null = Invoke-Native dotnet @('build', (Join-Path $Root 'VirtTest.sln'), '-c', $Configuration, '--nologo', '-v', 'minimal')

    Write-Step "Assembling module in $ModuleOut"
    if (Test-Path -LiteralPath $ModuleOut) { Remove-Item -LiteralPath $ModuleOut -Recurse -Force }
    $null = New-Item -ItemType Directory -Force -Path (Join-Path $ModuleOut 'en-US')

    $bin = Join-Path $Root "src/VirtTest.PowerShell/bin/$Configuration/$TargetFramework"
    foreach ($dll in 'VirtTest.PowerShell.dll', 'VirtTest.Core.dll', 'YamlDotNet.dll', 'Renci.SshNet.dll') {
        $source = Join-Path $bin $dll
        if (-not (Test-Path -LiteralPath $source)) { throw "Build output $source is missing." }
    }
    if (Test-Path -LiteralPath (Join-Path $bin 'System.Management.Automation.dll')) {
        throw 'System.Management.Automation.dll was copied to the build output: PowerShellStandard.Library must stay compile-only.'
    }
    # The cmdlets and every assembly they need at run time go to lib/, which VirtTest.Loader.dll
    # loads into a private load context; only the loader sits beside the manifest.
    $lib = Join-Path $ModuleOut 'lib'
    $null = New-Item -ItemType Directory -Force -Path $lib
    Get-ChildItem -LiteralPath $bin -Filter '*.dll' | Copy-Item -Destination $lib
    # The same VirtTest.Core with native code beside its IL: no JIT wait on a session's first config.
    Copy-Item -LiteralPath (Invoke-ReadyToRunCore) -Destination $lib -Force
    Copy-Item -LiteralPath (Join-Path $Root "src/VirtTest.Loader/bin/$Configuration/$TargetFramework/VirtTest.Loader.dll") -Destination $ModuleOut
    Copy-Item -LiteralPath (Join-Path $Root 'module/VirtTest.psm1') -Destination $ModuleOut
    Copy-Item -LiteralPath (Join-Path $Root 'VirtTest.psd1') -Destination $ModuleOut
    Copy-Item -LiteralPath (Join-Path $Root 'module/VirtTest.Format.ps1xml') -Destination $ModuleOut
    $aboutTopics = @(Get-ChildItem -Path (Join-Path $Root 'module/en-US') -Filter 'about_*.help.txt')
    if ($aboutTopics.Count -eq 0) { throw 'No about_*.help.txt topics in module/en-US.' }
    $aboutTopics | Copy-Item -Destination (Join-Path $ModuleOut 'en-US')

    Write-Step 'Generating MAML help from module/help/*.psd1'
    $mamlFile = Join-Path $ModuleOut 'en-US/VirtTest.PowerShell.dll-Help.xml'
    $code = Invoke-ChildPwsh -ScriptPath (Join-Path $Root 'build/New-MamlHelp.ps1') -ArgumentList @(
        '-ModulePath', (Join-Path $ModuleOut 'VirtTest.psd1'),
        '-HelpSourcePath', (Join-Path $Root 'module/help'),
        '-OutFile', $mamlFile)
    if ($code -ne 0 -or -not (Test-Path -LiteralPath $mamlFile)) { throw "MAML help generation failed (exit code $code)." }
    [xml](Get-Content -LiteralPath $mamlFile -Raw) | Out-Null   # well-formed?

    Write-Host "Module ready: $ModuleOut"
}

# Reads a VSTest TRX file: returns passed/failed/skipped counts, or $null when unusable.
function Read-TrxCounts([string] $Path) {
    if (-not (Test-Path -LiteralPath $Path)) { return $null }
    $trx = [xml](Get-Content -LiteralPath $Path -Raw)
    $counters = $trx.TestRun.ResultSummary.Counters
    if ($null -eq $counters) { return $null }
    $n = { param($name) if ($counters.HasAttribute($name)) { [int]$counters.GetAttribute($name) } else { 0 } }
    [pscustomobject]@{
        Total   = & $n 'total'
        Passed  = & $n 'passed'
        Failed  = (& $n 'failed') + (& $n 'error') + (& $n 'timeout') + (& $n 'aborted')
        Skipped = (& $n 'notExecuted') + (& $n 'inconclusive')
    }
}

# The failed tests of a TRX file, each as 'name: first line of its message'.
function Read-TrxFailures([string] $Path) {
    if (-not (Test-Path -LiteralPath $Path)) { return }
    $trx = [xml](Get-Content -LiteralPath $Path -Raw)
    # SelectNodes: a run that selected no test has no Results element (strict mode).
    foreach ($r in @($trx.SelectNodes("/*[local-name()='TestRun']/*[local-name()='Results']/*[local-name()='UnitTestResult']"))) {
        if ($null -eq $r -or $r.outcome -eq 'Passed' -or $r.outcome -eq 'NotExecuted') { continue }
        $message = $r.SelectSingleNode("*[local-name()='Output']/*[local-name()='ErrorInfo']/*[local-name()='Message']")
        $first = if ($message) { ($message.InnerText -split "`n")[0].Trim() } else { $r.outcome }
        "$($r.testName): $first"
    }
}

function Invoke-XunitTests {
    # -Include / -Exclude: the tags of this pass (Xen's pass runs apart, with its lab up).
    param([string[]] $Include = $Tag, [string[]] $Exclude = $ExcludeTag, [string] $Label = 'xunit')
    Write-Step "${Label}: dotnet test tests/VirtTest.Core.Tests"
    if ($FuzzIterations -gt 0) { $env:VIRTTEST_FUZZ_ITERATIONS = "$FuzzIterations" }
    $trxName = ($Label -replace '[^A-Za-z0-9]+', '-').Trim('-').ToLowerInvariant() + '.trx'
    $trxPath = Join-Path $ResultsDir $trxName
    if (Test-Path -LiteralPath $trxPath) { Remove-Item -LiteralPath $trxPath -Force }
    $arguments = @(
        'test', (Join-Path $Root 'tests/VirtTest.Core.Tests/VirtTest.Core.Tests.csproj'),
        '-c', $Configuration, '--no-build', '--nologo',
        '--logger', "trx;LogFileName=$trxName",
        '--logger', 'console;verbosity=normal',
        '--results-directory', $ResultsDir)
    # The same tags select xunit traits: -ExcludeTag Guest leaves out [Trait("Category","Guest")].
    $filters = @($Exclude | ForEach-Object { "Category!=$_" }) + @($Include | ForEach-Object { "Category=$_" })
    if ($filters.Count) { $arguments += @('--filter', ($filters -join '&')) }
    $code = Invoke-Native -AllowFailure dotnet $arguments
    $counts = Read-TrxCounts $trxPath
    $result = [pscustomobject]@{ Name = $Label; Passed = 0; Failed = 0; Skipped = 0; Crashed = $false; Note = ''; Failures = @(Read-TrxFailures $trxPath) }
    if ($null -eq $counts) {
        $result.Crashed = $true
        $result.Note = "no TRX results (dotnet test exit code $code)"
    }
    else {
        $result.Passed = $counts.Passed
        $result.Failed = $counts.Failed
        $result.Skipped = $counts.Skipped
        if ($counts.Total -eq 0 -and -not $Include.Count) {
            $result.Crashed = $true
            $result.Note = 'no tests were discovered'
        }
        elseif ($code -ne 0 -and $counts.Failed -eq 0) {
            $result.Crashed = $true
            $result.Note = "dotnet test exit code $code with no failed test"
        }
    }
    return $result
}

function Invoke-PesterTests {
    param([string] $PesterManifest, [string[]] $Include = $Tag, [string[]] $Exclude = $ExcludeTag, [string] $Label = 'Pester',
        # Test files that a second child pwsh runs at the same time (see Start-PesterSibling).
        [string[]] $SiblingFile = @())
    Write-Step "${Label}: tests/*.Tests.ps1 (child pwsh)"
    $environment = @{
        VIRTTEST_MODULE_PATH     = $ModuleOut
        VIRTTEST_FUZZ_ITERATIONS = $FuzzIterations
        # Test runs whose tests are Pester specs import Pester from here.
        VIRTTEST_PESTER_PATH     = $PesterManifest
    }
    $run = Get-PesterChildArguments -PesterManifest $PesterManifest -Include $Include -Exclude $Exclude -Label $Label
    $arguments = $run.Arguments
    $sibling = $null
    if ($SiblingFile.Count) {
        $sibling = Start-PesterSibling -PesterManifest $PesterManifest -Include $Include -Exclude $Exclude -Label "$Label (examples)" -File $SiblingFile -Environment $environment
        $arguments += @('-ExcludeFile', ($SiblingFile -join ','))
        # This run's leftover checks of the host (daemons, labs, namespaces) wait for the sibling to end.
        $environment['VIRTTEST_PESTER_SIBLING_PID'] = "$($sibling.Process.Id)"
    }
    $siblingCode = -1
    $ran = $false
    try {
        $code = Invoke-ChildPwsh -ScriptPath (Join-Path $Root 'build/Invoke-PesterTests.ps1') -ArgumentList $arguments -Environment $environment
        $ran = $true
    }
    finally {
        # Stopped (Ctrl+C) or failed to start the rest: the sibling is ended, not waited for.
        if ($sibling) {
            $siblingCode = Wait-ChildPwshLogged -Child $sibling -Title $sibling.Label -Abandon:(-not $ran)
            Remove-Item -LiteralPath $sibling.RuntimeDir -Recurse -Force -ErrorAction Ignore
        }
    }
    Read-PesterSummary -SummaryFile $run.SummaryFile -ExitCode $code -Label $Label -Include $Include
    if ($sibling) {
        Read-PesterSummary -SummaryFile $sibling.SummaryFile -ExitCode $siblingCode -Label $sibling.Label -Include $Include
    }
}

# The arguments of build/Invoke-PesterTests.ps1 for a run labelled $Label, and its summary file.
function Get-PesterChildArguments([string] $PesterManifest, [string[]] $Include, [string[]] $Exclude, [string] $Label) {
    $fileStem = ($Label -replace '[^A-Za-z0-9]+', '-').Trim('-').ToLowerInvariant()
    $summaryFile = Join-Path $ResultsDir "$fileStem-summary.json"
    $xmlFile = Join-Path $ResultsDir "$fileStem.xml"
    foreach ($f in $summaryFile, $xmlFile) { if (Test-Path -LiteralPath $f) { Remove-Item -LiteralPath $f -Force } }
    $arguments = @(
        '-PesterPath', $PesterManifest,
        '-TestPath', ((Join-Path $Root 'tests'), (Join-Path $Root 'examples') -join ','),
        '-ResultFile', $xmlFile,
        '-SummaryFile', $summaryFile)
    if ($Include.Count) { $arguments += @('-Tag', ($Include -join ',')) }
    if ($Exclude.Count) { $arguments += @('-ExcludeTag', ($Exclude -join ',')) }
    [pscustomobject]@{ Arguments = $arguments; SummaryFile = $summaryFile; Stem = $fileStem }
}

# Test files that mostly wait for guests (the help examples, the real-guest examples): a second
# child pwsh runs them beside the rest. It has a runtime folder of its own (a test of the rest counts the
# host's runtime folders and sockets), its leftover checks look only at what is its own (its
# session's VMs and networks, its QEMU children), and the rest's leftover checks of the host
# wait until it ended. Its output goes to a log, printed when it ends.
function Start-PesterSibling([string] $PesterManifest, [string[]] $Include, [string[]] $Exclude, [string] $Label, [string[]] $File, [hashtable] $Environment) {
    $run = Get-PesterChildArguments -PesterManifest $PesterManifest -Include $Include -Exclude $Exclude -Label $Label
    # Short (QEMU's socket paths must stay under 108 bytes) and of this run alone (removed after it).
    $runtimeDir = Join-Path ([System.IO.Path]::GetTempPath()) ('vt-ex-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
    $siblingEnvironment = @{} + $Environment
    $siblingEnvironment['VIRTTEST_RUNTIME_DIR'] = $runtimeDir
    $siblingEnvironment['VIRTTEST_LEFTOVER_SCOPE'] = 'Session'
    $log = Join-Path $ResultsDir "$($run.Stem).log"
    Write-Step "${Label}: $($File -join ', ') in a second child pwsh, beside the rest (output in $log)"
    $child = Start-ChildPwshLogged -ScriptPath (Join-Path $Root 'build/Invoke-PesterTests.ps1') -ArgumentList ($run.Arguments + @('-OnlyFile', ($File -join ','))) -Environment $siblingEnvironment -LogPath $log
    $child | Add-Member -NotePropertyMembers @{ Label = $Label; SummaryFile = $run.SummaryFile; RuntimeDir = $runtimeDir } -PassThru
}

# The result row of a Pester child from its summary file and exit code.
function Read-PesterSummary([string] $SummaryFile, [int] $ExitCode, [string] $Label, [string[]] $Include) {
    $result = [pscustomobject]@{ Name = $Label; Passed = 0; Failed = 0; Skipped = 0; Crashed = $false; Note = ''; Failures = @() }
    if (-not (Test-Path -LiteralPath $SummaryFile)) {
        $result.Crashed = $true
        $result.Note = "no Pester summary (child exit code $ExitCode)"
        return $result
    }
    $summary = Get-Content -LiteralPath $SummaryFile -Raw | ConvertFrom-Json
    $result.Passed = [int]$summary.Passed
    $result.Failed = [int]$summary.Failed + [int]$summary.FailedBlocks + [int]$summary.FailedContainers
    $result.Skipped = [int]$summary.Skipped + [int]$summary.NotRun
    if ($summary.PSObject.Properties['Failures']) { $result.Failures = @($summary.Failures) }
    if ($summary.Result -eq 'Failed' -and $result.Failed -eq 0) {
        $result.Crashed = $true
        $result.Note = 'Pester reported Failed with no failed test'
    }
    elseif ([int]$summary.Total -eq 0 -and -not $Include.Count) {
        $result.Crashed = $true
        $result.Note = 'no Pester tests were discovered'
    }
    elseif ($ExitCode -ne 0 -and $result.Failed -eq 0) {
        $result.Crashed = $true
        $result.Note = "child pwsh exit code $ExitCode with no failed test"
    }
    return $result
}

# Debian packages the tests use besides the guest's (which New-TestGuest.ps1 installs):
# OpenSSH's server for the SSH session tests on loopback, Chromium to render the HTML report,
# libvirt (client library, daemon with the QEMU driver, virsh) for the libvirt backend's tests
# (build/libvirt-daemon.sh), Wine for the cmd.exe tests (tag Wine), and iproute2, dnsmasq-base,
# iputils-ping and iptables for test networks, xorriso for CD-ROM ISO images.
function Initialize-TestPackages {
    $needed = [ordered]@{
        'openssh-server'             = '/usr/sbin/sshd'
        'openssh-sftp-server'        = '/usr/lib/openssh/sftp-server'
        'chromium'                   = '/usr/bin/chromium'
        'libvirt0'                   = '/usr/lib/x86_64-linux-gnu/libvirt-qemu.so.0'
        'libvirt-daemon'             = '/usr/sbin/libvirtd'
        'libvirt-daemon-driver-qemu' = '/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so'
        'libvirt-clients'            = '/usr/bin/virsh'
        # Wine's cmd.exe: the real cmd the cmd dialect's tests talk to (about 700 MB).
        'wine'                       = '/usr/bin/wine'
        'wine64'                     = '/usr/lib/wine/wine64'
        # Test networks (tests tagged Network): namespaces, bridges, taps, DHCP, ping. dnsmasq-base
        # is dnsmasq without its system service, so installing it starts no DNS/DHCP server.
        'iproute2'                   = '/usr/sbin/ip'
        'dnsmasq-base'               = '/usr/sbin/dnsmasq'
        'iputils-ping'               = '/usr/bin/ping'
        # libvirt's NAT networks set their rules with iptables (inside the daemon's namespace).
        'iptables'                   = '/usr/sbin/iptables'
        # ISO images for the CD-ROM tests and examples (Set-VirtCdrom, cdroms).
        'xorriso'                    = '/usr/bin/xorriso'
    }
    Install-DebianPackage -Name @($needed.Keys) -Probe $needed -Purpose 'the tests'
    # The Slurm lab's packages (slurmctld, slurmd, slurm-client, munge), their own services disabled.
    & (Join-Path $Root 'build/SlurmLab.ps1') -Action Install
}

# Runs build/XenLab.ps1 with an action; returns its exit code.
function Invoke-XenLab([string] $Action) {
    Write-Step "Xen lab: $Action (build/XenLab.ps1)"
    return Invoke-ChildPwsh -ScriptPath (Join-Path $Root 'build/XenLab.ps1') -ArgumentList @('-Action', $Action)
}

# True when a lab answers from .build/xenlab/lab (started earlier, e.g. by a developer).
function Test-XenLabRunning {
    return (Invoke-XenLab 'Status') -eq 0
}

# Whether this test run includes the tests tagged Xen.
function Test-XenTestsSelected {
    if ($ExcludeTag -contains 'Xen') { return $false }
    return ($Tag.Count -eq 0) -or ($Tag -contains 'Xen')
}

function Invoke-Test {
    Invoke-Build
    Invoke-TestGuest
    if (Test-XenTestsSelected) { Start-XenImageBuild }
    try {
        Invoke-DebianGuest
        Initialize-TestPackages
        $pester = Initialize-Pester
    }
    catch {
        Wait-XenImageBuild -Abandon
        throw
    }
    $null = New-Item -ItemType Directory -Force -Path $ResultsDir

    # Tests that expand configs with the parse cache on write it under $XDG_CACHE_HOME; the run
    # gets a cache folder of its own, removed at the end, so it neither reads nor fills the user's.
    $savedCacheHome = $env:XDG_CACHE_HOME
    $userCacheFolder = Join-Path $(if ($savedCacheHome) { $savedCacheHome } else { Join-Path $HOME '.cache' }) 'virttest/config'
    $runCacheHome = Join-Path ([System.IO.Path]::GetTempPath()) ('virttest-test-cache-' + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Path $runCacheHome
    $env:XDG_CACHE_HOME = $runCacheHome
    try {
        return Invoke-TestRun -PesterManifest $pester -UserCacheFolder $userCacheFolder
    }
    finally {
        # Normally waited for before the Xen lab starts; ended here when the run stopped before.
        Wait-XenImageBuild -Abandon
        $env:XDG_CACHE_HOME = $savedCacheHome
        Remove-Item -LiteralPath $runCacheHome -Recurse -Force -ErrorAction Ignore
    }
}

# The entries (file names) in the user's parse cache folder.
function Get-CacheEntryNames([string] $Folder) {
    @(Get-ChildItem -LiteralPath $Folder -File -ErrorAction Ignore | ForEach-Object Name)
}

function Invoke-TestRun([string] $PesterManifest, [string] $UserCacheFolder) {
    $pester = $PesterManifest
    $results = @()
    $userCacheBefore = Get-CacheEntryNames $UserCacheFolder
    # Runs xunit and Pester with the given tags; a runner that throws counts as crashed.
    function Invoke-TestPass([string[]] $Include, [string[]] $Exclude, [string] $Suffix, [string[]] $PesterSiblingFile = @()) {
        foreach ($runner in 'xunit', 'Pester') {
            $label = $runner + $Suffix
            try {
                if ($runner -eq 'xunit') { Invoke-XunitTests -Include $Include -Exclude $Exclude -Label $label }
                else { Invoke-PesterTests -PesterManifest $pester -Include $Include -Exclude $Exclude -Label $label -SiblingFile $PesterSiblingFile }
            }
            catch {
                Write-Host "Runner $label crashed: $_" -ForegroundColor Red
                [pscustomobject]@{ Name = $label; Passed = 0; Failed = 0; Skipped = 0; Crashed = $true; Note = "$_"; Failures = @() }
            }
        }
    }

    # The Xen tests run first, in a pass of their own: the lab (a nested Xen under TCG, busy
    # even when idle) boots for them and is gone before the rest runs, so it never shares the
    # two cores with other guests. The rest (with the leftover checks last) follows.
    if (Test-XenTestsSelected) {
        $stopLab = $false
        $savedLab = $env:VIRTTEST_XEN_LAB
        $env:VIRTTEST_XEN_LAB = $XenLabDir
        try {
            Wait-XenImageBuild
            if (-not (Test-XenLabRunning)) {
                $stopLab = $true
                if ((Invoke-XenLab 'Start') -ne 0) {
                    $results += [pscustomobject]@{ Name = 'XenLab'; Passed = 0; Failed = 1; Skipped = 0; Crashed = $false; Note = ''; Failures = @('the Xen lab did not start (see its output above)') }
                }
            }
            $results += Invoke-TestPass -Include @('Xen') -Exclude @($ExcludeTag) -Suffix ' (Xen)'
        }
        finally {
            if ($stopLab) { $null = Invoke-XenLab 'Stop' }
            $env:VIRTTEST_XEN_LAB = $savedLab
        }
    }
    if (-not ($Tag.Count -eq 1 -and $Tag[0] -eq 'Xen')) {
        $results += Invoke-TestPass -Include @($Tag | Where-Object { $_ -ne 'Xen' }) -Exclude @(@($ExcludeTag) + 'Xen' | Select-Object -Unique) -Suffix '' -PesterSiblingFile $PesterSiblingFiles
    }

    # Nothing of the run may land in the user's parse cache: a process that dropped the run's
    # XDG_CACHE_HOME (a child started with a cleaned environment) would write there.
    $written = @(Get-CacheEntryNames $UserCacheFolder | Where-Object { $userCacheBefore -notcontains $_ })
    $results += [pscustomobject]@{
        Name = 'Leftover'; Passed = [int]($written.Count -eq 0); Failed = [int]($written.Count -gt 0); Skipped = 0; Crashed = $false; Note = ''
        Failures = @(if ($written.Count) { "the run wrote $($written.Count) entries into the user's parse cache folder $UserCacheFolder ($($written -join ', ')): a process of the tests lost XDG_CACHE_HOME (or another VirtTest session of yours ran meanwhile)" })
    }

    $failures = @($results | ForEach-Object { $runnerName = $_.Name; @($_.Failures) | Where-Object { $_ } | ForEach-Object { "  [$runnerName] $_" } })
    if ($failures.Count) {
        Write-Host ''
        Write-Host 'Failures' -ForegroundColor Red
        foreach ($f in $failures) { Write-Host ($(if ($f.Length -gt 2000) { $f.Substring(0, 1997) + '...' } else { $f })) -ForegroundColor Red }
    }
    Write-Host ''
    Write-Host 'Test summary' -ForegroundColor Cyan
    $passed = 0; $failed = 0; $skipped = 0
    foreach ($r in $results) {
        $line = '  {0,-17} {1,5} passed, {2,5} failed, {3,5} skipped' -f $r.Name, $r.Passed, $r.Failed, $r.Skipped
        if ($r.Crashed) { $line += "  RUNNER CRASHED: $($r.Note)" }
        Write-Host $line -ForegroundColor $(if ($r.Crashed -or $r.Failed) { 'Red' } else { 'Green' })
        $passed += $r.Passed
        $skipped += $r.Skipped
        # A crashed runner counts as (at least) one failure: it must never read as 0 failed.
        $failed += $r.Failed + $(if ($r.Crashed -and $r.Failed -eq 0) { 1 } else { 0 })
    }
    Write-Host "  results: $ResultsDir"
    $final = "$passed passed, $failed failed"
    if ($skipped) { $final += ", $skipped skipped" }
    # Must stay the very last line of output.
    Write-Host $final
    return [int]($failed -gt 0)
}

function Invoke-Guest {
    Invoke-TestGuest
    Invoke-DebianGuest
}

function Invoke-TestGuest {
    Write-Step 'Test guest (build/New-TestGuest.ps1)'
    $code = Invoke-ChildPwsh -ScriptPath (Join-Path $Root 'build/New-TestGuest.ps1') -ArgumentList @('-OutputPath', $GuestDir)
    if ($code -ne 0) { throw "Building the test guest failed (exit code $code)." }
}

function Invoke-DebianGuest {
    Write-Step 'Debian 12 guest (build/New-DebianGuest.ps1)'
    $code = Invoke-ChildPwsh -ScriptPath (Join-Path $Root 'build/New-DebianGuest.ps1') -ArgumentList @('-OutputPath', (Join-Path $GuestDir 'debian12'))
    if ($code -ne 0) { throw "Building the Debian guest failed (exit code $code)." }
}

# The Xen lab's image (mmdebstrap, minutes) needs neither guest nor test package: it is built
# by a child pwsh of its own while the Debian guest is built, its output in a log that
# Wait-XenImageBuild prints. What it needs from apt is installed first, in the foreground
# (two apt-get updates at once fail on apt's list lock; after this nothing else does one).
function Start-XenImageBuild {
    if ((Invoke-XenLab 'Prepare') -ne 0) { return }   # the lab's Start builds it, and says what failed
    $log = Join-Path $WorkDir 'xenlab-build.log'
    Write-Step "Xen lab: Build (build/XenLab.ps1), beside the next steps; output in $log"
    $script:XenImageBuild = Start-ChildPwshLogged -ScriptPath (Join-Path $Root 'build/XenLab.ps1') -ArgumentList @('-Action', 'Build') -LogPath $log
}

# Waits for the image build Start-XenImageBuild began and prints its output; -Abandon ends it
# instead (the run stopped before the lab was needed).
function Wait-XenImageBuild([switch] $Abandon) {
    $build = $script:XenImageBuild
    if (-not $build) { return }
    $script:XenImageBuild = $null
    $null = Wait-ChildPwshLogged -Child $build -Title 'Xen lab: Build' -Abandon:$Abandon
}

function Invoke-Demo {
    Invoke-Build
    Invoke-Guest
    Write-Step 'Demo: expanding examples/tests.cfg'
    $code = Invoke-ChildPwsh -ScriptPath (Join-Path $Root 'build/Demo.ps1') -Environment @{ VIRTTEST_MODULE_PATH = $ModuleOut }
    return $code
}

function Invoke-Examples {
    Invoke-Build
    Invoke-Guest
    $pester = Initialize-Pester
    Write-Step 'Examples: Invoke-VirtTestRun examples/run/run.cfg'
    $output = Join-Path $Root ('results/examples-' + (Get-Date -Format 'yyyyMMdd-HHmmss'))
    return Invoke-ChildPwsh -ScriptPath (Join-Path $Root 'build/Invoke-ExampleRun.ps1') -ArgumentList @('-OutputPath', $output) -Environment @{
        VIRTTEST_MODULE_PATH = $ModuleOut
        VIRTTEST_PESTER_PATH = $pester
    }
}

function Invoke-Fuzz {
    Invoke-Build
    $iterations = if ($FuzzIterations -gt 0) { $FuzzIterations } else { 1000000 }
    $workers = [Environment]::ProcessorCount
    $saveDir = Join-Path $Root 'tests/conformance/fuzz-regressions'
    Write-Step "Fuzz: $iterations mutated configs on $workers worker(s); findings go to $saveDir"
    $names = 'VIRTTEST_FUZZ_ITERATIONS', 'VIRTTEST_FUZZ_WORKERS', 'VIRTTEST_FUZZ_SAVE_DIR'
    $env:VIRTTEST_FUZZ_ITERATIONS = "$iterations"
    $env:VIRTTEST_FUZZ_WORKERS = "$workers"
    $env:VIRTTEST_FUZZ_SAVE_DIR = $saveDir
    try {
        return (Invoke-Native -AllowFailure dotnet @(
                'test', (Join-Path $Root 'tests/VirtTest.Core.Tests/VirtTest.Core.Tests.csproj'),
                '-c', $Configuration, '--no-build', '--nologo',
                '--filter', 'FullyQualifiedName~VirtTest.Core.Tests.Config.FuzzTests',
                '--logger', 'console;verbosity=normal'))
    }
    finally {
        foreach ($name in $names) { Remove-Item -LiteralPath "env:$name" -ErrorAction Ignore }
    }
}

function Invoke-Bench {
    if ($BenchArguments.Count -gt 0 -and $BenchArguments[0] -eq 'xen') { return Invoke-XenBench }
    # 'runner' or 'storage' alone: only that benchmark; 'cluster' alone: only the Slurm one;
    # nothing or 'all': everything but the Slurm one (it takes several minutes).
    if ($BenchArguments.Count -gt 0 -and $BenchArguments[0] -eq 'cluster') {
        Invoke-Build
        Invoke-Guest
        Write-Step 'Cluster runs: 12 guest-booting tests on a Slurm lab against local workers (bench/ClusterBench.ps1)'
        return Invoke-ChildPwsh -ScriptPath (Join-Path $Root 'bench/ClusterBench.ps1') -ArgumentList @($BenchArguments | Select-Object -Skip 1) -Environment @{ VIRTTEST_MODULE_PATH = $ModuleOut }
    }
    $first = if ($BenchArguments.Count) { $BenchArguments[0] } else { '' }
    $scriptOnly = $first -in 'runner', 'storage'
    $everything = $BenchArguments.Count -eq 0 -or $first -eq 'all' -or $first.StartsWith('--')
    $code = 0
    if (-not $scriptOnly) { $code = Invoke-CoreBench }
    if ($code -eq 0 -and ($first -eq 'runner' -or $everything)) {
        Invoke-Build
        Invoke-Guest
        Write-Step 'Test runs: 8 guest-booting tests, 1 worker vs 2 workers (bench/RunnerBench.ps1)'
        $code = Invoke-ChildPwsh -ScriptPath (Join-Path $Root 'bench/RunnerBench.ps1') -Environment @{ VIRTTEST_MODULE_PATH = $ModuleOut }
    }
    if ($code -eq 0 -and ($first -eq 'storage' -or $everything)) {
        if ($first -eq 'storage') { Invoke-Build }
        Write-Step 'Images: Convert-VirtImage of 1 GiB vs qemu-img convert (bench/StorageBench.ps1)'
        $code = Invoke-ChildPwsh -ScriptPath (Join-Path $Root 'bench/StorageBench.ps1') -Environment @{ VIRTTEST_MODULE_PATH = $ModuleOut }
        if ($code -eq 0) {
            Write-Step 'Disks: hot-plug latency vs a raw QMP client (bench/VirtTest.Bench hotplug)'
            $code = Invoke-Native -AllowFailure dotnet @('run', '-c', 'Release', '--project', (Join-Path $Root 'bench/VirtTest.Bench'), '--', 'hotplug')
        }
    }
    return $code
}

# The Xen lab's boot time and xl over SSH (bench/VirtTest.Bench/XenBench.cs); a lab that
# already runs is measured as it is (its recorded boot time) and left running.
function Invoke-XenBench {
    $started = $false
    if (-not (Test-XenLabRunning)) {
        if ((Invoke-XenLab 'Start') -ne 0) { throw 'The Xen lab did not start.' }
        $started = $true
    }
    try {
        $script:BenchArguments = @($BenchArguments) + @('--lab', $XenLabDir)
        return Invoke-CoreBench
    }
    finally {
        if ($started) { $null = Invoke-XenLab 'Stop' }
    }
}

function Invoke-CoreBench {
    # Each measurement runs in its own child process (see bench/VirtTest.Bench/Program.cs).
    $project = Join-Path $Root 'bench/VirtTest.Bench'
    if (-not (Test-Path -LiteralPath $project)) {
        Write-Warning "No benchmark project at $project yet: nothing to run."
        return 0
    }
    # Built, then run from a copy whose VirtTest.Core is the precompiled one the module ships.
    $null = Invoke-Native dotnet @('build', $project, '-c', 'Release', '--nologo', '-v', 'minimal')
    $benchDir = Join-Path $WorkDir 'bench'
    if (Test-Path -LiteralPath $benchDir) { Remove-Item -LiteralPath $benchDir -Recurse -Force }
    Copy-Item -LiteralPath (Join-Path $project "bin/Release/$TargetFramework") -Destination $benchDir -Recurse
    Copy-Item -LiteralPath (Invoke-ReadyToRunCore) -Destination $benchDir -Force
    $arguments = @((Join-Path $benchDir 'VirtTest.Bench.dll')) + $BenchArguments
    if ($ReferenceParser) {
        $arguments += @('--reference', (Resolve-Path -LiteralPath $ReferenceParser).Path)
    }
    return (Invoke-Native -AllowFailure dotnet $arguments)
}

function Invoke-Cluster {
    $arguments = @('-Action', $ClusterAction, '-Path', (Join-Path $WorkDir 'slurm-lab'))
    if ($ClusterAction -eq 'Start') { $arguments += @('-Nodes', $ClusterNodes) }
    $code = Invoke-ChildPwsh -ScriptPath (Join-Path $Root 'build/SlurmLab.ps1') -ArgumentList $arguments
    if ($code -ne 0) { throw "build/SlurmLab.ps1 -Action $ClusterAction failed (exit code $code)." }
    if ($ClusterAction -eq 'Start') {
        Write-Host 'Run tests on it, for example:'
        Write-Host "  `$env:SLURM_CONF = '$(Join-Path $WorkDir 'slurm-lab/etc/slurm.conf')'"
        Write-Host '  Invoke-VirtTestRun ./examples/cluster/cluster.cfg -Cluster Slurm'
        Write-Host 'Stop it with: dotnet pwsh ./build.ps1 -Task Cluster -ClusterAction Stop'
    }
}

# ---------------------------------------------------------------------------------

$exitCode = 0
try {
    switch ($Task) {
        'Build' { Invoke-Build }
        'Guest' { Invoke-Guest }
        'Test' { $exitCode = Invoke-Test }
        'Demo' { $exitCode = Invoke-Demo }
        'Examples' { $exitCode = Invoke-Examples }
        'Bench' { $exitCode = Invoke-Bench }
        'Fuzz' { $exitCode = Invoke-Fuzz }
        'XenLab' { $exitCode = Invoke-XenLab $XenLabAction }
        'Cluster' { Invoke-Cluster }
    }
}
catch {
    Write-Host "build.ps1 -Task $Task failed: $_" -ForegroundColor Red
    Write-Host $_.ScriptStackTrace
    if ($Task -eq 'Test') {
        # Keep the contract of the Test task: the last line is the count line.
        Write-Host '0 passed, 1 failed'
    }
    $exitCode = 1
}
exit $exitCode
