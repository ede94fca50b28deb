<#
.SYNOPSIS
    Reboots (tp-qemu's boot with reboot_method, reboot_count): from inside the guest and by a
    system reset, reboot_count times each; every time the guest comes back with a new boot id
    and takes a login again.
#>
param($Params, $Vm, $Session)

$count = if ($Params['reboot_count']) { [int]$Params['reboot_count'] } else { 1 }
$shell = $Session
try {
    for ($i = 1; $i -le $count; $i++) {
        foreach ($method in 'Guest', 'Reset') {
            Enter-VirtTestStep "reboot $i of $count by $method"
            $before = (Invoke-VirtSessionCommand -Session $shell -Command 'cat /proc/sys/kernel/random/boot_id').Output.Trim()
            Restart-VirtVm -Vm $Vm -Method $method -Session $shell -Confirm:$false
            $shell = Wait-VirtLogin -Vm $Vm
            $after = (Invoke-VirtSessionCommand -Session $shell -Command 'cat /proc/sys/kernel/random/boot_id').Output.Trim()
            if ($after -eq $before) { throw "the boot id is still $before after the reboot by $method" }
        }
    }
}
finally {
    # The runner's session went with the first reboot; the last one is this script's.
    if ($shell -ne $Session) { Disconnect-VirtSession -Session $shell }
}
