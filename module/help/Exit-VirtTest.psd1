# Help source for Exit-VirtTest (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Ends the running test script with a status: Fail, Error, Cancel or Skip.'

    Description = @(
        'Exit-VirtTest stops a test script at once (a terminating error) and tells the test run how the test ended: Fail (the tested thing is wrong), Error (the environment or set-up is broken, not the tested thing), Cancel (the test cannot run here, such as a host or guest feature it needs is missing) or Skip (the test does not apply). The reason is the test''s one-line reason in results.json, junit.xml and report.html; when the test had entered a step (Enter-VirtTestStep), a Fail or Error reason names it.'
        'In a Pester spec run as a test, Exit-VirtTest -Status Error or Cancel inside an It block ends the whole test with that status. Outside a test run it is an ordinary terminating error (VirtTest.TestFailed, TestError, TestCancelled or TestSkipped).'
    )

    Parameters  = @{
        Status = 'Specifies how the test ends: Fail, Error, Cancel or Skip.'
        Reason = 'Specifies the one-line reason shown in the results.'
    }

    Inputs      = @()

    Outputs     = @()

    Notes       = @(
        'A script can also throw [VirtTest.Core.Runner.TestErrorException], TestCancelledException or TestSkippedException itself.'
    )

    Examples    = @(
        @{
            Title   = 'A test that cannot run on this host ends as CANCEL'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-example-$PID"
$null = New-Item -ItemType Directory -Path $dir
Set-Content -Path "$dir/run.cfg" -Value "start_vm = no`ntype = numa"
Set-Content -Path "$dir/numa.ps1" -Value 'if (-not (Test-Path /sys/devices/system/node/node1)) { Exit-VirtTest -Status Cancel -Reason ''needs a host with two NUMA nodes'' }'
Invoke-VirtTestRun -Path "$dir/run.cfg" -TestPath $dir -OutputPath "$dir/results" -Jobs 1 | Format-Table Status, Reason
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'On a host with one NUMA node the test ends as CANCEL with that reason (on a host with two it passes).'
        }
    )

    RelatedLinks = @('Enter-VirtTestStep', 'Invoke-VirtTestRun', 'Get-VirtTestResult')
}
