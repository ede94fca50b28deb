# Help source for Get-VirtVmAddress (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Gets the MAC and IP addresses of a VM''s network interfaces.'

    Description = @(
        'Get-VirtVmAddress writes one VmAddress per NIC of each VM: the NIC''s name in the params (nics), its MAC address, its IPv4 and IPv6 addresses, where they come from (Source) and, when known, the guest''s name for the interface and the test network it is on.'
        'Sources: DhcpLease reads the lease file of the dnsmasq of the test network the NIC is on (netdst and netdst_netns name a network of New-VirtTestNetwork; otherwise every network of the session is searched for the MAC): no guest involvement, milliseconds. Guest runs ip -j addr show in the guest over -Session (plain ip addr show where ip has no JSON output, as busybox''s), and reports what the guest itself has configured, link-local IPv6 addresses included. LibvirtLease, LibvirtArp and LibvirtAgent ask libvirt (its interface-address API): the leases of the libvirt network the NIC is on, the ARP table of libvirt''s host, or the QEMU guest agent (which the guest must run); another backend gives a VirtTest.NotSupportedByBackend error (capability GuestAddressQuery). With -Source Any (default) each NIC gets the first source that knows an address: the test network''s leases, libvirt''s leases and ARP table (libvirt VMs), then the guest when -Session is given.'
        'NICs are matched by MAC address: the mac param of a NIC, or, for NICs without one, the MACs the guest reports over -Session (also with -Source DhcpLease, which then uses the guest only for its MACs; interfaces the params do not describe are written with an empty Nic). A NIC no source knows an address for is written with Source None and no addresses; -WaitSec waits until every NIC (except nettype = none) has one, and is otherwise a VirtTest.Network.AddressTimeout error naming the NICs without one.'
    )

    Parameters  = @{
        Vm      = 'Specifies the VMs, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name    = 'Specifies the VMs by name; wildcards are allowed. Binds from the Name or VmName property of piped objects.'
        Source  = 'Specifies where to look: Any (default), DhcpLease, Guest (needs -Session), LibvirtLease, LibvirtArp or LibvirtAgent (libvirt VMs).'
        Session = 'Specifies a session on the guest (Connect-VirtSession, Wait-VirtLogin) to ask the guest for its own addresses.'
        Nic     = 'Writes only these NICs, by their name in the params or the guest''s interface name; wildcards are allowed.'
        WaitSec = 'Specifies how long, in seconds, to wait until every NIC has an address (default 0: answer at once). Sources are asked again every half second.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
        @{ Type = 'System.String'; Description = 'VM names, from the Name or VmName property of piped objects.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Network.VmAddress'; Description = 'VmName, Nic, MacAddress, IPv4Address, IPv6Address, Source (DhcpLease, Guest, LibvirtLease, LibvirtArp, LibvirtAgent or None), GuestInterface, Network; PreferredAddress is the address a connection would use (the first IPv4, else the first global IPv6).' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'The guest''s own view of its addresses'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name addr1
Start-VirtVm $vm -Wait
$s = Connect-VirtSession $vm
Get-VirtVmAddress $vm -Session $s -Source Guest -Nic eth0 | Format-List
Remove-VirtVm $vm
'@
            Remarks = 'The test guest''s eth0 under user-mode networking: the MAC VirtTest gave it and the address QEMU''s DHCP handed out (10.0.2.15), read with the guest''s own ip. -Nic eth0 picks the guest''s interface by name (the params'' nic1 has no mac param, so only the guest knows its MAC).'
        }
    )

    RelatedLinks = @('Test-VirtGuestConnection', 'New-VirtTestNetwork', 'Connect-VirtSession', 'about_VirtTest')
}
