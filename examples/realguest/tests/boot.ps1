<#
.SYNOPSIS
    The real guest booted (tp-qemu's boot): a root login on the serial console (the runner's
    session, through getty's and login's prompts) and over SSH, and systemd reports the system
    running: every unit started, none failed.
#>
param($Params, $Vm, $Session)

Enter-VirtTestStep 'serial login'
if ($Session.Transport -ne 'Serial') { throw "expected the runner's session on the serial console (shell_client = serial), got $($Session.Transport)" }
$who = (Invoke-VirtSessionCommand -Session $Session -Command 'id -un').Output.Trim()
if ($who -ne 'root') { throw "the serial session is '$who', not root" }

Enter-VirtTestStep 'systemd state'
# --wait: until the boot has finished (starting) and then says how it went.
$state = (Invoke-VirtSessionCommand -Session $Session -Command 'systemctl is-system-running --wait' -TimeoutSec 300 -IgnoreExitCode).Output.Trim()
if ($state -ne 'running') {
    $failed = (Invoke-VirtSessionCommand -Session $Session -Command 'systemctl --failed --no-legend --plain' -IgnoreExitCode).Output.Trim()
    throw "systemd says the system is '$state', not running; failed units: $failed"
}

Enter-VirtTestStep 'SSH login'
$ssh = Wait-VirtLogin -Vm $Vm -Transport Ssh
try {
    $out = (Invoke-VirtSessionCommand -Session $ssh -Command 'id -un; cat /proc/sys/kernel/random/boot_id').Output.Trim() -split "`n"
    if ($out[0].Trim() -ne 'root') { throw "the SSH session is '$($out[0])', not root" }
    $serialBoot = (Invoke-VirtSessionCommand -Session $Session -Command 'cat /proc/sys/kernel/random/boot_id').Output.Trim()
    if ($out[1].Trim() -ne $serialBoot) { throw "SSH reached another system (boot id $($out[1]) vs $serialBoot on the serial console)" }
    Write-Information "SSH: $($ssh.Name)"
}
finally {
    Disconnect-VirtSession -Session $ssh
}
