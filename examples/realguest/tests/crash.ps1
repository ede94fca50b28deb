<#
.SYNOPSIS
    A guest kernel crash ends the test as FAIL with the panic as its reason: sysrq c makes the
    kernel panic; the runner's crash watch (check_kernel_crash, on by default) sees the panic on
    the console and stops the test. Fails on purpose.
#>
param($Params, $Vm, $Session)

Enter-VirtTestStep 'panic by sysrq c'
Send-VirtSessionInput -Session $Session -InputObject 'echo c > /proc/sysrq-trigger'
# The watch ends the test well before this wait does.
Wait-VirtCondition -TimeoutSec 300 -Message 'the crash watch to end the test' -Condition { $false } | Out-Null
throw 'the guest did not crash'
