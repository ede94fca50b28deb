# Help source for Stop-VirtTestRun (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Interrupts a test run started with Invoke-VirtTestRun -AsJob.'

    Description = @(
        'Stop-VirtTestRun stops a background run as Ctrl+C stops a foreground one: the tests that are running end as CANCEL, every VM of the run is killed, and results.json, junit.xml and report.html keep what finished (the run is marked Interrupted). It returns when the clean-up is done. Stop-Job does the same.'
    )

    Parameters  = @{
        Job      = 'Specifies the run''s job, as Invoke-VirtTestRun -AsJob returned it. Accepts jobs from the pipeline.'
        Id       = 'Specifies the job''s id (see Get-Job).'
        PassThru = 'Writes the stopped job.'
        WhatIf   = 'Shows which run would be stopped without stopping it.'
        Confirm  = 'Asks for confirmation before stopping the run.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.PowerShell.Internal.VirtTestRunJob'; Description = 'Jobs of test runs.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.PowerShell.Internal.VirtTestRunJob'; Description = 'With -PassThru: the stopped job.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Start a run in the background and stop it'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-example-$PID"
$null = New-Item -ItemType Directory -Path $dir
Set-Content -Path "$dir/run.cfg" -Value "start_vm = no`ntype = slow`nvariants:`n    - one:`n    - two:`n    - three:"
Set-Content -Path "$dir/slow.ps1" -Value 'Start-Sleep -Seconds 30'
$job = Invoke-VirtTestRun -Path "$dir/run.cfg" -TestPath $dir -OutputPath "$dir/results" -Jobs 1 -AsJob
Start-Sleep -Seconds 2
$job | Stop-VirtTestRun -PassThru | Format-Table Name, State, StatusMessage
Get-VirtTestResult -Path "$dir/results" -Summary
Remove-Job -Job $job
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'The first test is cancelled after about two seconds; the others never start. The summary says INCOMPLETE: 1 cancelled, 2 not run.'
        }
    )

    RelatedLinks = @('Invoke-VirtTestRun', 'Get-VirtTestResult', 'Stop-Job')
}
