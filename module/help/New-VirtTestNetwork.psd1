# Help source for New-VirtTestNetwork (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 (as root: network namespaces need it).
@{
    Synopsis    = 'Creates a private network for tests: a network namespace with a bridge, DHCP and a link to the host.'

    Description = @(
        'New-VirtTestNetwork builds a network that touches none of the host''s own interfaces: a network namespace of its own named vtn<id> (the network''s Name), a bridge <Name>-br in it with address .1 of a /24, a dnsmasq serving DHCP on the bridge (addresses .100 to .199; no DNS; its pid, lease and log files in a private folder under the runtime directory), and a veth pair whose host end <Name>-h has address .254, so this PowerShell session reaches guests on the bridge with ordinary sockets (ping, SSH). It writes a TestNetwork object.'
        'The /24 comes from the host-wide pool 10.231.0.0/16: two VirtTest processes never get the same one, and a subnet that overlaps an address or route of the host is never used. Every object is recorded in a host-wide ledger before it is made; the first network a process creates first removes what crashed runs left (their namespaces, veths, taps and dnsmasq processes), and only objects of that ledger whose names start with vtn are ever removed.'
        'A VM''s NIC joins the network with the params in the NicParams property: nettype = bridge, netdst = the bridge, netdst_netns = the namespace. Remove-VirtTestNetwork removes everything again (also taps moved into the namespace); networks still open when the PowerShell process exits are removed then.'
        'Creating namespaces and bridges needs root (CAP_NET_ADMIN): otherwise the error is VirtTest.Network.PermissionDenied. ip (iproute2) and dnsmasq (dnsmasq-base) must be installed: build.ps1 -Task Test installs them.'
    )

    Parameters  = @{
        NoDhcp       = 'Does not start dnsmasq: guests on the bridge get no address by DHCP.'
        NoHostLink   = 'Does not create the veth pair to the host: the network is reachable only from inside its namespace (Test-VirtGuestConnection then pings from there).'
        Subnet       = 'Specifies a /24 to use (for example 10.231.7.0/24) instead of a free one from the pool. It is reserved like the pool''s; a subnet another test network or a network of the host overlaps is a VirtTest.Resource error.'
        LeaseTimeSec = 'Specifies the DHCP lease time in seconds (120 to one year; default 3600).'
    }

    Inputs      = @(
        @{ Type = 'None'; Description = 'New-VirtTestNetwork takes no pipeline input.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Network.TestNetwork'; Description = 'The network: Name (also the namespace''s name), Subnet, Bridge, BridgeAddress, HostInterface, HostAddress, DhcpRangeStart, DhcpRangeEnd, Dnsmasq (with its ProcessId and LeaseFile), NicParams; GetLeases() lists the DHCP leases handed out.' }
    )

    Notes       = @(
        'Design: QEMU stays in the host''s namespace. For a NIC on a bridge in a test namespace, VirtTest creates the tap in the host''s namespace, QEMU opens it by name, and VirtTest then moves it into the namespace and makes it a port of the bridge (an open tap keeps working when it moves). User-mode port forwards therefore stay on the host''s loopback.'
    )

    Examples    = @(
        @{
            Title   = 'Create a network, look at it and remove it'
            Code    = @'
$net = New-VirtTestNetwork
$net | Format-List Name, Subnet, Bridge, BridgeAddress, HostInterface, HostAddress, DhcpRangeStart, DhcpRangeEnd
Test-VirtGuestConnection -Address $net.BridgeAddress -Count 2
Remove-VirtTestNetwork $net
'@
            Remarks = 'Shows the names and addresses of a new network, pings its bridge from the host over the veth pair, and removes the network with its namespace, veth and dnsmasq.'
        }
        @{
            Title   = 'A network only reachable from inside its namespace, on a chosen subnet'
            Code    = @'
$net = New-VirtTestNetwork -NoHostLink -NoDhcp -Subnet 10.231.254.0/24
$net.NicParams
Get-VirtTestNetwork | Remove-VirtTestNetwork
'@
            Remarks = 'No veth and no dnsmasq: only the namespace and its bridge on 10.231.254.0/24. NicParams are the params that put a NIC on it. Get-VirtTestNetwork | Remove-VirtTestNetwork removes every network of the session.'
        }
    )

    RelatedLinks = @('Remove-VirtTestNetwork', 'Get-VirtTestNetwork', 'Get-VirtVmAddress', 'Test-VirtGuestConnection', 'about_VirtTest')
}
