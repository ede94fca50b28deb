# Help source for Wait-VirtCondition (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Runs a script block until its output is true or a deadline passes.'

    Description = @(
        'Wait-VirtCondition is the utils_misc.wait_for of test scripts: after -FirstDelaySec it runs -Condition, then again every -IntervalSec, until the output is true by PowerShell''s rules (a non-empty string, a non-zero number, $true, any object) and writes that output. The last try is made at the deadline. When -TimeoutSec passes first it is a terminating VirtTest.WaitTimeout error (category OperationTimeout) naming -Message, the number of tries and what the last try returned.'
        'An error in the condition ends the wait with that error, unless -RetryOnError: then it counts as false and the timeout error names the last one. Verbose output says each try; a progress bar shows the time waited. Ctrl+C stops the wait between tries.'
        'With -RetryOnError a wait for a guest that is rebooting reads: Wait-VirtCondition { Connect-VirtSession -Vm $vm -Transport Ssh } -RetryOnError -TimeoutSec 300 -Message ''SSH after the reboot''.'
    )

    Parameters  = @{
        Condition     = 'Specifies the condition, a script block run once per try. Its output counts as true or false; the output of the try that is true is written.'
        Message       = 'Specifies what is awaited, for the progress bar and the timeout error, for example ''the guest''s SSH port''. The default is the script block''s text.'
        TimeoutSec    = 'Specifies the deadline in seconds, counted from the call (the first delay included). The default is 60.'
        IntervalSec   = 'Specifies the time between tries in seconds (fractions allowed). The default is 1.'
        FirstDelaySec = 'Specifies the time to wait before the first try, in seconds. The default is 0.'
        RetryOnError  = 'Counts an error in the condition as false and tries again, instead of ending the wait with it.'
    }

    Inputs      = @()

    Outputs     = @(
        @{ Type = 'System.Object'; Description = 'The output of the condition''s first true try.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Wait for a file to appear'
            Code    = @'
$file = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-example-$PID.flag"
$job = Start-Job { param($f) Start-Sleep -Seconds 2; Set-Content -Path $f -Value ready } -ArgumentList $file
Wait-VirtCondition { Test-Path -LiteralPath $file } -Message 'the flag file' -TimeoutSec 30 -IntervalSec 0.5
Remove-Job -Job $job -Force
Remove-Item -LiteralPath $file
'@
            Remarks = 'Writes True after about two seconds.'
        }
        @{
            Title   = 'A condition that never holds'
            Code    = @'
try { Wait-VirtCondition { $false } -Message 'something that never happens' -TimeoutSec 1 -IntervalSec 0.2 }
catch { $_.FullyQualifiedErrorId; $_.Exception.Message }
'@
            Remarks = 'VirtTest.WaitTimeout,VirtTest.PowerShell.Cmdlets.WaitVirtConditionCommand, then "Timed out after 1 s (6 tries) waiting for something that never happens; the last try returned False."'
        }
    )

    RelatedLinks = @('Wait-VirtLogin', 'Enter-VirtTestStep', 'Exit-VirtTest')
}
