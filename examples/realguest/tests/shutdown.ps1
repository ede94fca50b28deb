<#
.SYNOPSIS
    Shutdown from inside the guest (tp-qemu's shutdown, shutdown_method = shell): poweroff in the
    guest, and the VM stops by itself.
#>
param($Params, $Vm, $Session)

Enter-VirtTestStep 'poweroff in the guest'
# No answer comes back: the shell goes down with the system.
Send-VirtSessionInput -Session $Session -InputObject 'poweroff'
Wait-VirtVmState -Vm $Vm -State Stopped -TimeoutSec 180
