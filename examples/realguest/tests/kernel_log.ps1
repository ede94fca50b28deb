<#
.SYNOPSIS
    The guest's kernel log has no message at err level or above (the reference's verify_dmesg),
    apart from known harmless ones of this virtual hardware; a second check sees none after -Clear.
#>
param($Params, $Vm, $Session)

Enter-VirtTestStep 'kernel log at err or above'
$check = Test-VirtGuestKernelLog -Session $Session -Level Err -PassThru
$check.Messages | ForEach-Object { Write-Information "kernel: $_" }
# Fails the test (a GuestKernelLogMessages error listing them) when there are any.
$null = Test-VirtGuestKernelLog -Session $Session -Level Err -Clear

Enter-VirtTestStep 'kernel log after clearing'
$again = Test-VirtGuestKernelLog -Session $Session -Level Debug -PassThru
if ($again.Messages.Count -ne 0) { throw "the cleared log still has $($again.Messages.Count) messages: $($again.Messages -join '; ')" }
