# Help source for Test-VirtGuestConnection (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Pings a guest from the host, or an address or another guest from a guest.'

    Description = @(
        'Test-VirtGuestConnection runs ping and writes a PingResult: where it ran (Source), the Target, how many echo requests were sent (Transmitted) and answered (Received), the loss in percent and the average round trip. A run without replies is a result (Succeeded False, 100 % loss), not an error; a ping that could not run at all (bad address, no route, no ping) is a VirtTest.Network error with ping''s output.'
        'From the host (-Vm, -VmAddress or -Address alone): the target is -Address, or the VM''s address from its test network''s DHCP leases (Get-VirtVmAddress -Source DhcpLease), or the PreferredAddress of a VmAddress from the pipeline. When that address is on a test network without a host link, ping runs inside the network''s namespace; -NetworkNamespace chooses the namespace explicitly.'
        'From a guest (-Session): ping runs in the guest over the session, to -Address or to the address of -TargetVm (from its test network''s leases, or from its guest over -TargetSession): the guest-to-guest check.'
    )

    Parameters  = @{
        Vm               = 'Specifies the VM to ping from the host. Accepts a VM from the pipeline.'
        VmAddress        = 'Specifies an address object from Get-VirtVmAddress to ping from the host (its PreferredAddress). Accepts them from the pipeline.'
        Session          = 'Specifies the session on the guest that sends the pings.'
        Address          = 'Specifies the address to ping: from the host, an IP address (of the VM with -Vm; alone, any address, for example on a test network); from a guest, any address or name the guest resolves.'
        TargetVm         = 'Specifies the VM to ping from the session''s guest.'
        TargetSession    = 'Specifies a session on the target VM, to ask its guest for its address when no DHCP lease tells it.'
        NetworkNamespace = 'Specifies a network namespace to ping from instead of the host''s (for networks created with -NoHostLink this is chosen automatically).'
        Count            = 'Specifies how many echo requests to send (default 3; one every 0.2 s).'
        ReplyTimeoutSec  = 'Specifies how long, in seconds, to wait for each reply (default 2).'
        Quiet            = 'Writes only True (at least one reply came) or False instead of the PingResult.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'A VM to ping from the host.' }
        @{ Type = 'VirtTest.Core.Network.VmAddress'; Description = 'Addresses from Get-VirtVmAddress to ping from the host.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Network.PingResult'; Description = 'Source, Target, Transmitted, Received, LossPercent, AverageRttMs, Output and Succeeded.' }
        @{ Type = 'System.Boolean'; Description = 'With -Quiet: whether any reply came.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Ping from a guest'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name ping1
Start-VirtVm $vm -Wait
$s = Connect-VirtSession $vm
$own = Get-VirtVmAddress $vm -Session $s -Source Guest -Nic eth0
Test-VirtGuestConnection -Session $s -Address $own.PreferredAddress
Test-VirtGuestConnection -Session $s -Address 10.0.2.77 -Count 1 -ReplyTimeoutSec 1 -Quiet
Remove-VirtVm $vm
'@
            Remarks = 'The guest pings its own address (three replies), then an address nobody has on its user-mode network: False, with -Quiet.'
        }
        @{
            Title   = 'Ping an address on a test network from the host'
            Code    = @'
$net = New-VirtTestNetwork -NoDhcp
Test-VirtGuestConnection -Address $net.BridgeAddress -Count 5
Test-VirtGuestConnection -Address $net.HostAddress -NetworkNamespace $net.Namespace -Count 2
Remove-VirtTestNetwork $net
'@
            Remarks = 'The host reaches the network''s bridge over the veth pair; the second run pings the host end of the veth from inside the network''s namespace. With guests on the network, pipe Get-VirtVmAddress in instead.'
        }
    )

    RelatedLinks = @('Get-VirtVmAddress', 'New-VirtTestNetwork', 'Connect-VirtSession', 'about_VirtTest')
}
