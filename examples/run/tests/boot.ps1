<#
.SYNOPSIS
    The guest booted and answers: its kernel and uptime over the session, and a screenshot.
#>
param($Params, $Vm, $Session, $TestDirectory)

$kernel = (Invoke-VirtSessionCommand -Session $Session -Command 'uname -r').Output.Trim()
if (-not $kernel) { throw 'uname -r printed nothing' }
Write-Information "guest kernel: $kernel"

$uptime = [double](((Invoke-VirtSessionCommand -Session $Session -Command 'cat /proc/uptime').Output -split ' ')[0])
if ($uptime -le 0) { throw "implausible uptime '$uptime'" }
Write-Information "guest uptime: $uptime s"

# Kept by the runner and shown in the report (every .png in the test's folder is).
Save-VirtScreenshot -Vm $Vm -Path (Join-Path $TestDirectory 'boot.png')
