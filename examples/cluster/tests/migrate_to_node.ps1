<#
.SYNOPSIS
    Live-migrates the guest to the other node of the test's Slurm job and checks it there.

.DESCRIPTION
    With migration_dest_host = auto a cluster run gives the test two nodes and a QEMU
    waiting on the second one ($Env.Data['migration_destination']). The test leaves a mark in
    the guest, moves the guest over TCP to that node, and reads the mark back through a shell
    on the destination: the guest kept its memory and runs there.
    Run locally (no second node), it migrates to a new QEMU on this host instead.
#>
param($Vm, $Session, $Env)

$mark = 'virttest-' + [guid]::NewGuid().ToString('N').Substring(0, 12)
$null = Invoke-VirtSessionCommand -Session $Session -Command "echo $mark > /tmp/mark"
$bootId = (Invoke-VirtSessionCommand -Session $Session -Command 'cat /proc/sys/kernel/random/boot_id').Output.Trim()

$destination = $Env.Data['migration_destination']
if ($destination) {
    Write-Information "migrating $($Vm.Name) from $env:SLURMD_NODENAME to $($destination.Node) ($($destination.MigrationUri))"
    Move-VirtVm -Vm $Vm -Destination $destination
    $status = $destination.QueryStatusAsync().GetAwaiter().GetResult()
    if ($status -ne 'running') { throw "the guest is '$status' on $($destination.Node), not running" }
    $there = $destination.Session
}
else {
    Write-Information "no second node: migrating $($Vm.Name) to a new QEMU on this host"
    Move-VirtVm -Vm $Vm -Protocol tcp
    $there = Connect-VirtSession -Vm $Vm
}

$seen = (Invoke-VirtSessionCommand -Session $there -Command 'cat /tmp/mark').Output.Trim()
if ($seen -ne $mark) { throw "after the migration the guest's /tmp/mark says '$seen', expected '$mark'" }
$bootIdAfter = (Invoke-VirtSessionCommand -Session $there -Command 'cat /proc/sys/kernel/random/boot_id').Output.Trim()
if ($bootIdAfter -ne $bootId) { throw "the guest rebooted during the migration (boot id $bootId before, $bootIdAfter after)" }
Write-Information "guest runs on the destination with its memory intact"
if (-not $destination) { Disconnect-VirtSession -Session $there }
