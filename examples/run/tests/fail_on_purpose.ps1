<#
.SYNOPSIS
    A test that fails on purpose, to show what a failure looks like in the results:
    FAIL with this message as the reason, the console output and a final screenshot.
#>
param($Session)

$ostype = (Invoke-VirtSessionCommand -Session $Session -Command 'cat /proc/sys/kernel/ostype').Output.Trim()
if ($ostype -ne 'Windows') {
    throw "expected the guest to run Windows, but /proc/sys/kernel/ostype says '$ostype'"
}
