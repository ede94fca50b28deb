# Shared by Pester files (dot-sourced in BeforeAll): a private libvirtd with the QEMU driver,
# started and stopped by build/libvirt-daemon.sh (the same script the xunit fixture uses).
# Start-TestLibvirtDaemon returns an object with the connection URI; pass it to
# Stop-TestLibvirtDaemon in AfterAll, which also destroys and undefines any domain left.
#
# -Network: the daemon runs inside a test network's namespace (New-VirtTestNetwork), so its
# guests can sit on that network's bridge (NicParams: nettype = bridge, netdst, netdst_netns)
# and this process reaches them over the network's veth (SSH, ping). -NatNetwork adds a libvirt
# NAT network named 'virttest' (libvirt's own bridge and dnsmasq, inside the namespace) on a
# second /24 reserved host-wide. Stop-TestLibvirtDaemon removes the network and the reservation.
function Start-TestLibvirtDaemon {
    param([switch] $Network, [switch] $NatNetwork)
    $script = Join-Path $PSScriptRoot '../../build/libvirt-daemon.sh'
    $dir = Join-Path ([IO.Path]::GetTempPath()) ('virttest-lvd-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $net = $null
    $nat = $null
    $arguments = @('start', $dir)
    try {
        if ($Network -or $NatNetwork) {
            $net = New-VirtTestNetwork
            $arguments += $net.Namespace
            if ($NatNetwork) {
                $nat = [VirtTest.Core.Network.SubnetAllocator]::new().ReserveAsync([Threading.CancellationToken]::None).GetAwaiter().GetResult()
                $arguments += $nat.Subnet.ToString()
            }
        }
        $uri = & bash $script @arguments
        if ($LASTEXITCODE -ne 0) { throw "libvirt-daemon.sh start failed with exit code $LASTEXITCODE" }
    }
    catch {
        if ($nat) { $nat.Dispose() }
        if ($net) { Remove-VirtTestNetwork $net }
        throw
    }
    [pscustomobject]@{
        Uri        = ($uri | Select-Object -Last 1).Trim()
        Directory  = $dir
        Script     = $script
        Network    = $net
        NatNetwork = if ($nat) { 'virttest' } else { $null }
        NatSubnet  = if ($nat) { $nat.Subnet } else { $null }
        NatReservation = $nat
    }
}

function Stop-TestLibvirtDaemon($Daemon) {
    if (-not $Daemon) { return }
    try {
        & bash $Daemon.Script stop $Daemon.Directory
        if ($LASTEXITCODE -ne 0) { throw "libvirt-daemon.sh stop failed with exit code $LASTEXITCODE" }
    }
    finally {
        if ($Daemon.NatReservation) { $Daemon.NatReservation.Dispose() }
        if ($Daemon.Network) { Remove-VirtTestNetwork $Daemon.Network }
    }
}
