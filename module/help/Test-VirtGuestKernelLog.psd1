# Help source for Test-VirtGuestKernelLog (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every VM an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Checks a guest''s kernel log (dmesg) for messages at or above a level.'

    Description = @(
        'Test-VirtGuestKernelLog reads the guest''s kernel log through a session with dmesg -r (each message with its priority; util-linux and busybox both print it) and looks for messages at -Level or more severe: with the default Err, those at emerg, alert, crit and err. Messages matching an -Ignore pattern do not count.'
        'It writes $true when there are none. Otherwise it writes $false and a VirtTest.GuestKernelLogMessages error that lists them with their level and timestamp, so a test script run with -ErrorAction Stop (as the runner runs them) fails with the messages as its reason. With -PassThru it writes the check instead (Level, Messages, Ignored, Passed) and no error. -Clear empties the log right after reading it (dmesg -c in the same command line), so the next check sees only newer messages: check before and after the step under test.'
        'A dmesg that fails (a normal user where the kernel restricts dmesg) is a VirtTest.ShellCommand error: check as root.'
    )

    Parameters  = @{
        Session    = 'Specifies the guest session (from Wait-VirtLogin or Connect-VirtSession). Accepts a session from the pipeline.'
        Level      = 'Specifies the least severe level that counts: Emerg, Alert, Crit, Err (the default), Warning, Notice, Info or Debug.'
        Ignore     = 'Specifies regular expressions; a message that matches one does not count (known, harmless messages).'
        Clear      = 'Clears the kernel log right after reading it (dmesg -c in the same command line).'
        PassThru   = 'Writes the check (a KernelLogCheck) instead of $true/$false, and no error.'
        TimeoutSec = 'Specifies the deadline for reading the log. The default is 60 seconds.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Session.GuestSession'; Description = 'A session from Wait-VirtLogin or Connect-VirtSession.' }
    )

    Outputs     = @(
        @{ Type = 'System.Boolean'; Description = '$true when no message at or above the level counts.' }
        @{ Type = 'VirtTest.Core.Session.KernelLogCheck'; Description = 'With -PassThru: the session, level, the messages that count (Level, Timestamp, Text) and how many were ignored.' }
    )

    Notes       = @(
        'Crashes (panics, oopses, Call Trace) are found without asking: the runner watches the console log (check_kernel_crash) and ends the test as FAIL with the trace. This cmdlet is the on-demand check of the levels below a crash, as the reference''s verify_dmesg.'
    )

    Examples    = @(
        @{
            Title   = 'Check the test guest''s kernel log for critical messages, then for errors'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name dmesgcheck
Start-VirtVm $vm -Wait
$shell = Wait-VirtLogin -Vm $vm
Test-VirtGuestKernelLog -Session $shell -Level Crit
$check = Test-VirtGuestKernelLog -Session $shell -Level Err -PassThru
$check.Messages | Select-Object Level, Text
Disconnect-VirtSession -Session $shell
Remove-VirtVm $vm
'@
            Remarks = 'The first check writes True (no critical messages); the second lists the boot''s err-level messages, if any, without failing.'
        }
    )

    RelatedLinks = @('Wait-VirtLogin', 'Invoke-VirtSessionCommand', 'Invoke-VirtTestRun', 'about_VirtTest')
}
