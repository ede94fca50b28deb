# Help source for Get-VirtTestResult (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Reads the results folder of a test run: its tests, a summary, or how it differs from another run.'

    Description = @(
        'Get-VirtTestResult reads results.json of folders written by Invoke-VirtTestRun, also of a run that was interrupted (its summary then says INCOMPLETE and how many tests did not run). By default it writes one TestResult per test; -Status keeps only some statuses.'
        '-Summary writes a RunSummary instead: counts per status (PASS, FAIL, ERROR, SKIP, CANCEL), the tests that never ran, the duration and a verdict.'
        '-Compare takes a baseline folder and writes a TestResultChange for each test that changed: NewlyFailing, NewlyPassing, StatusChanged, Slower (at least -SlowerFactor times and 1 s longer), Added or Removed; -IncludeUnchanged writes the others too. Tests are matched by their full name.'
    )

    Parameters  = @{
        Path             = 'Specifies results folders (or their results.json). The default is the newest folder under ./results. Accepts objects with a ResultsPath or FullName property from the pipeline (for example the results of Invoke-VirtTestRun).'
        Status           = 'Writes only tests with these statuses (Pass, Fail, Error, Skip, Cancel).'
        Summary          = 'Writes the run''s summary instead of its tests.'
        Compare          = 'Specifies a baseline results folder to compare with.'
        IncludeUnchanged = 'With -Compare, also writes the tests that did not change.'
        SlowerFactor     = 'With -Compare, how many times longer a test must take to count as slower. The default is 1.5.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Results folder paths, by value or from the ResultsPath or FullName property.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Runner.TestResult'; Description = 'The tests of the run (default).' }
        @{ Type = 'VirtTest.Core.Runner.RunSummary'; Description = 'With -Summary.' }
        @{ Type = 'VirtTest.Core.Runner.TestResultChange'; Description = 'With -Compare: Name, ShortName, Change, Before, After, BeforeDuration, AfterDuration, Reason.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Summarise a run and list what did not pass'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-example-$PID"
$null = New-Item -ItemType Directory -Path $dir
Set-Content -Path "$dir/run.cfg" -Value "start_vm = no`ntype = even`nvariants:`n    - two:`n        number = 2`n    - three:`n        number = 3"
Set-Content -Path "$dir/even.ps1" -Value 'param($Params) if ([int]$Params.number % 2) { throw "$($Params.number) is odd" }'
$null = Invoke-VirtTestRun -Path "$dir/run.cfg" -TestPath $dir -OutputPath "$dir/results"
Get-VirtTestResult -Path "$dir/results" -Summary
Get-VirtTestResult -Path "$dir/results" -Status Fail, Error | Format-Table ShortName, Reason
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'Runs two tests without VMs, then reads the folder back: the summary says FAIL (1 passed, 1 failed) and the failing test''s reason is "3 is odd".'
        }
        @{
            Title   = 'Compare two runs'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-example-$PID"
$null = New-Item -ItemType Directory -Path $dir
Set-Content -Path "$dir/run.cfg" -Value "start_vm = no`ntype = limit`nvariants:`n    - a:`n    - b:"
Set-Content -Path "$dir/limit.ps1" -Value 'param($Params) if ($Params.shortname -eq "b" -and $env:VIRTTEST_EXAMPLE_BREAK) { throw "b broke" }'
$null = Invoke-VirtTestRun -Path "$dir/run.cfg" -TestPath $dir -OutputPath "$dir/before"
$env:VIRTTEST_EXAMPLE_BREAK = 1
$null = Invoke-VirtTestRun -Path "$dir/run.cfg" -TestPath $dir -OutputPath "$dir/after"
Remove-Item Env:VIRTTEST_EXAMPLE_BREAK
Get-VirtTestResult -Path "$dir/after" -Compare "$dir/before" | Format-Table ShortName, Change, Before, After, Reason
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'The second run breaks test b: the comparison lists it as NewlyFailing with its reason.'
        }
    )

    RelatedLinks = @('Invoke-VirtTestRun', 'about_VirtTest')
}
