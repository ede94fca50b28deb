# Shared by Pester files (dot-sourced in BeforeAll): runs a shell command in a VM's guest over
# a fresh serial session (the console socket changes with every migration) and returns its
# exit status and output.
function Invoke-GuestCommand([VirtTest.Core.Vm.VirtualMachine] $Vm, [string] $Command, [double] $TimeoutSec = 20) {
    $session = Connect-VirtSession -Vm $Vm -Transport Serial -TimeoutSec 20
    try {
        $r = Invoke-VirtSessionCommand -Session $session -Command $Command -TimeoutSec $TimeoutSec -IgnoreExitCode
        [pscustomobject]@{ ExitStatus = $r.ExitCode; Output = $r.Output }
    }
    finally {
        Disconnect-VirtSession -Session $session
    }
}
