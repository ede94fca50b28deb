<#
.SYNOPSIS
    The guest booted on this node and answers on its serial console.
#>
param($Session)

$kernel = (Invoke-VirtSessionCommand -Session $Session -Command 'uname -r').Output.Trim()
if (-not $kernel) { throw 'uname -r printed nothing' }
Write-Information "guest kernel $kernel on node $env:SLURMD_NODENAME"
