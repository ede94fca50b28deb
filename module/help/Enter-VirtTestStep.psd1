# Help source for Enter-VirtTestStep (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Names the step a test script is in, so a failure says where it happened.'

    Description = @(
        'Enter-VirtTestStep is the error_context.context of test scripts: it begins a named step, which lasts until the next Enter-VirtTestStep or the end of the test. In a test run (Invoke-VirtTestRun) the step goes to the test''s debug log as a STEP line; when the test fails or errors, its one-line reason starts with "In step N ''name'':", and results.json (steps, failedStep) and report.html (the Steps column, the failing step marked) list every step with its duration.'
        'Outside a test run the steps are kept for the session and only -PassThru or -Verbose shows them.'
    )

    Parameters  = @{
        Name     = 'Specifies what the test does from now on, for example ''log in over SSH''.'
        PassThru = 'Writes the step that began (a VirtTest.Core.Runner.TestStep: Number, Name, Start, Duration).'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Step names.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Runner.TestStep'; Description = 'With -PassThru: the step that began.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Steps in a test script, and the reason of a failure'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-example-$PID"
$null = New-Item -ItemType Directory -Path $dir
Set-Content -Path "$dir/run.cfg" -Value "start_vm = no`ntype = stepped"
Set-Content -Path "$dir/stepped.ps1" -Value @(
    "Enter-VirtTestStep 'prepare the data'"
    '$data = 1..3'
    "Enter-VirtTestStep 'check the sum'"
    'if (($data | Measure-Object -Sum).Sum -ne 7) { throw ''the sum is not 7'' }'
)
Invoke-VirtTestRun -Path "$dir/run.cfg" -TestPath $dir -OutputPath "$dir/results" -Jobs 1 | Format-Table Status, Reason -Wrap
(Get-VirtTestResult -Path "$dir/results").Steps | Format-Table
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'The test fails with the reason "In step 2 ''check the sum'': the sum is not 7 (stepped.ps1:4)"; its two steps are listed with their durations.'
        }
        @{
            Title   = 'A step outside a test run'
            Code    = 'Enter-VirtTestStep -Name ''boot the guest'' -PassThru'
            Remarks = 'Writes the step (number, name, start time).'
        }
    )

    RelatedLinks = @('Exit-VirtTest', 'Wait-VirtCondition', 'Invoke-VirtTestRun', 'Get-VirtTestResult')
}
