# Pester tests for guest networking: test networks (New/Get/Remove-VirtTestNetwork), guest
# addresses (Get-VirtVmAddress) and reachability (Test-VirtGuestConnection). Every network
# lives in a namespace of its own (tag Network: needs root); the guests' traffic goes only to
# addresses these tests create. Two test guests on one network (tags Guest, Network) share
# their boots between the cases; everything is removed in AfterAll, also after failures.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $ProgressPreference = 'SilentlyContinue'

    function Get-OwnNamespace { @(& ip netns list | ForEach-Object { ($_ -split ' ')[0] } | Where-Object { $_ -like 'vtn*' }) }
}

Describe 'Test networks through the cmdlets' -Tag 'Network' {
    AfterAll {
        Get-VirtTestNetwork | Remove-VirtTestNetwork
    }

    It 'creates a namespace with bridge, veth and dnsmasq, shown as a table, and removes them' {
        $net = New-VirtTestNetwork
        $dnsmasqPid = $net.Dnsmasq.ProcessId
        try {
            $net | Should -BeOfType ([VirtTest.Core.Network.TestNetwork])
            Get-OwnNamespace | Should -Contain $net.Name
            (& ip -j link show dev $net.HostInterface | ConvertFrom-Json).ifname | Should -Be $net.HostInterface
            (& ip -n $net.Namespace -j -d link show dev $net.Bridge | ConvertFrom-Json).linkinfo.info_kind | Should -Be 'bridge'
            $dnsmasq = Get-Process -Id $dnsmasqPid
            $dnsmasq.CommandLine | Should -Match ([regex]::Escape("--interface=$($net.Bridge)"))
            @(Get-VirtTestNetwork) | Should -Contain $net
            $table = Get-VirtTestNetwork -Name $net.Name | Format-Table | Out-String -Width 200
            $table | Should -Match ([regex]::Escape($net.Subnet.ToString()))
            $table | Should -Match ([regex]::Escape($net.HostAddress.ToString()))
            $net.NicParams['netdst'] | Should -Be $net.Bridge
            $net.NicParams['netdst_netns'] | Should -Be $net.Namespace
        }
        finally {
            Remove-VirtTestNetwork -Name $net.Name
        }
        Get-OwnNamespace | Should -Not -Contain $net.Name
        & ip link show dev $net.HostInterface 2>$null
        $LASTEXITCODE | Should -Not -Be 0
        Get-Process -Id $dnsmasqPid -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        @(Get-VirtTestNetwork) | Should -Not -Contain $net
    }

    It 'creates nothing with -WhatIf' {
        $before = @(Get-OwnNamespace)
        New-VirtTestNetwork -WhatIf | Should -BeNullOrEmpty
        # Another VirtTest process of this host (the help examples' pwsh in a test run) may make its own meanwhile.
        $others = @([VirtTest.Core.Network.NetworkObjectLedger]::Default.Entries() | Where-Object { $_.OwnerAlive -and $_.ProcessId -ne $PID } | ForEach-Object Name)
        @(Get-OwnNamespace | Where-Object { $before -notcontains $_ -and $others -notcontains $_ }) | Should -BeNullOrEmpty
        @(Get-VirtTestNetwork).Count | Should -Be 0
    }

    It 'reports bad input as typed errors' {
        { New-VirtTestNetwork -Subnet '10.231.300.0/24' -ErrorAction Stop } | Should -Throw -ErrorId 'VirtTest.InvalidArgument,VirtTest.PowerShell.Cmdlets.NewVirtTestNetworkCommand'
        $net = New-VirtTestNetwork -NoDhcp -NoHostLink
        try {
            New-VirtTestNetwork -Subnet $net.Subnet.ToString() -ErrorAction SilentlyContinue -ErrorVariable clash | Should -BeNullOrEmpty
            $clash[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.Resource,*'
            "$($clash[0])" | Should -Match ([regex]::Escape($net.Subnet.ToString()))
        }
        finally {
            Remove-VirtTestNetwork $net
        }
        Remove-VirtTestNetwork -Name 'vtnnosuch' -ErrorAction SilentlyContinue -ErrorVariable missing
        $missing[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.TestNetworkNotFound,*'
    }

    It 'pings addresses of the network from the host and from its namespace' {
        $net = New-VirtTestNetwork -NoDhcp
        try {
            $r = Test-VirtGuestConnection -Address $net.BridgeAddress -Count 3
            $r | Should -BeOfType ([VirtTest.Core.Network.PingResult])
            $r.Received | Should -Be 3
            $r.LossPercent | Should -Be 0
            ($r | Format-Table | Out-String) | Should -Match 'Received'
            (Test-VirtGuestConnection -Address $net.HostAddress -NetworkNamespace $net.Namespace -Count 1).Source | Should -Be "namespace $($net.Namespace)"
            Test-VirtGuestConnection -Address $net.Subnet.Host(222) -Count 1 -ReplyTimeoutSec 1 -Quiet | Should -BeFalse
            { Test-VirtGuestConnection -Address 'no-such-name' -ErrorAction Stop } | Should -Throw -ErrorId 'VirtTest.InvalidArgument,*'
        }
        finally {
            Remove-VirtTestNetwork $net
        }
    }
}

Describe 'Guests on a test network' -Tag 'Guest', 'Network' {
    BeforeAll {
        $script:net = New-VirtTestNetwork
        # nettype = bridge, netdst = the bridge, netdst_netns = its namespace; no port forwards.
        $props = @{ redirs = '' }
        foreach ($kv in $net.NicParams.GetEnumerator()) { $props[$kv.Key] = $kv.Value }
        $script:a = New-VirtVm -TestGuest -Name net-a -Property ($props + @{ queues = '2' })
        $script:b = New-VirtVm -TestGuest -Name net-b -Property $props
        $a, $b | Start-VirtVm -Wait
        $script:sa = Wait-VirtLogin -Vm $a
        $script:sb = Wait-VirtLogin -Vm $b
    }
    AfterAll {
        Get-VirtVm -Name net-a, net-b -ErrorAction SilentlyContinue | Remove-VirtVm
        if ($net) { Remove-VirtTestNetwork $net }
    }

    It 'gives each guest a lease that Get-VirtVmAddress reports, as the guest sees it' {
        foreach ($pair in @(@($a, $sa), @($b, $sb))) {
            $vm, $session = $pair
            $mac = $vm.Nics[0].Mac
            $mac | Should -Match '^52:54:00(:[0-9a-f]{2}){3}$'
            $lease = Get-VirtVmAddress $vm -WaitSec 30
            $lease.Source | Should -Be 'DhcpLease'
            $lease.Nic | Should -Be 'nic1'
            $lease.MacAddress | Should -Be $mac
            $lease.Network | Should -Be $net.Name
            $net.Subnet.Contains($lease.IPv4Address[0]) | Should -BeTrue

            $own = Get-VirtVmAddress $vm -Session $session -Source Guest
            $own.Source | Should -Be 'Guest'
            $own.Nic | Should -Be 'nic1'
            $own.GuestInterface | Should -Be 'eth0'
            "$($own.IPv4Address)" | Should -Be "$($lease.IPv4Address)"
        }
        "$((Get-VirtVmAddress $a).IPv4Address)" | Should -Not -Be "$((Get-VirtVmAddress $b).IPv4Address)"
        (Get-VirtVmAddress $a | Format-Table | Out-String) | Should -Match ([regex]::Escape($a.Nics[0].Mac))
    }

    It 'gives queues = 2 a multi-queue NIC and the default a single-queue one' {
        # virtio-net feature bit 22 (VIRTIO_NET_F_MQ) as the guest reads it.
        (Invoke-VirtSessionCommand $sa 'cut -c23 /sys/class/net/eth0/device/features').Output.Trim() | Should -Be '1'
        (Invoke-VirtSessionCommand $sb 'cut -c23 /sys/class/net/eth0/device/features').Output.Trim() | Should -Be '0'
    }

    It 'answers pings from the host' {
        foreach ($vm in $a, $b) {
            $r = Test-VirtGuestConnection -Vm $vm -Count 3
            $r.Received | Should -Be 3
            $r.LossPercent | Should -Be 0
        }
        (Get-VirtVmAddress $b | Test-VirtGuestConnection -Quiet) | Should -BeTrue
    }

    It 'pings the host and the other guest from a guest' {
        $toHost = Test-VirtGuestConnection -Session $sa -Address $net.HostAddress
        $toHost.Received | Should -Be 3
        $toHost.Source | Should -Be $sa.Name
        $toB = Test-VirtGuestConnection -Session $sa -TargetVm $b
        $toB.Received | Should -Be 3
        $toB.Target | Should -Be "$((Get-VirtVmAddress $b).IPv4Address)"
        Test-VirtGuestConnection -Session $sb -Address $net.Subnet.Host(222) -Count 1 -ReplyTimeoutSec 1 -Quiet | Should -BeFalse
    }

    It 'opens SSH on the guest''s address (no port is forwarded)' {
        $a.GetGuestPortEndpoint(22) | Should -BeNullOrEmpty
        $ssh = Connect-VirtSession -Vm $a -Transport Ssh
        try {
            $ssh.Name | Should -Match ([regex]::Escape("$((Get-VirtVmAddress $a).IPv4Address)"))
            (Invoke-VirtSessionCommand $ssh 'cat /sys/class/net/eth0/address').Output.Trim() | Should -Be $a.Nics[0].Mac
        }
        finally {
            Disconnect-VirtSession $ssh
        }
    }

    It 'hot-plugs a NIC that gets an address and answers, and whose tap goes with it' {
        $tapsBefore = @(& ip -n $net.Namespace -j link show type tun | ConvertFrom-Json | ForEach-Object ifname)
        Add-VirtPciDevice $b -Model virtio-net-pci -Id hpnic | Out-Null
        $taps = @(& ip -n $net.Namespace -j link show type tun | ConvertFrom-Json | ForEach-Object ifname)
        $taps.Count | Should -Be ($tapsBefore.Count + 1)
        Invoke-VirtSessionCommand $sb 'for i in $(seq 50); do [ -e /sys/class/net/eth1 ] && break; sleep 0.2; done; ip link set eth1 up && udhcpc -i eth1 -n -q -t 5 -T 1 -s /usr/share/udhcpc/default.script >/dev/null 2>&1' -TimeoutSec 60 -ErrorAction Stop | Out-Null
        $hot = Get-VirtVmAddress $b -Session $sb -Source Guest -Nic eth1
        $hot.Nic | Should -BeNullOrEmpty   # not a NIC of the params
        $net.Subnet.Contains($hot.IPv4Address[0]) | Should -BeTrue
        ($hot | Test-VirtGuestConnection).Received | Should -Be 3
        Remove-VirtPciDevice $b -Id hpnic
        @(& ip -n $net.Namespace -j link show type tun | ConvertFrom-Json | ForEach-Object ifname) | Should -Be $tapsBefore
    }
}

Describe 'A libvirt guest on a bridge and on a libvirt NAT network' -Tag 'Guest', 'Network', 'Libvirt' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Shared/LibvirtDaemon.ps1')
        $script:daemon = Start-TestLibvirtDaemon -NatNetwork
        $net = $daemon.Network
        $script:vm = New-VirtVm -TestGuest -Name net-lv -Property @{
            vm_type = 'libvirt'; connect_uri = $daemon.Uri; redirs = ''; nics = 'nic1 nic2'
            nettype_nic1 = 'bridge'; netdst_nic1 = $net.Bridge; netdst_netns_nic1 = $net.Namespace
            nettype_nic2 = 'network'; netdst_nic2 = $daemon.NatNetwork
        }
        $vm | Start-VirtVm -Wait
        $script:serial = Wait-VirtLogin -Vm $vm -Transport Serial
        # The test guest asks for DHCP on eth0 only: the second NIC asks libvirt's dnsmasq now.
        Invoke-VirtSessionCommand $serial 'ip link set eth1 up && udhcpc -i eth1 -n -q -t 5 -T 1 -s /usr/share/udhcpc/default.script >/dev/null 2>&1' -ErrorAction Stop | Out-Null
    }
    AfterAll {
        Get-VirtVm -Name net-lv -ErrorAction SilentlyContinue | Remove-VirtVm
        if ($daemon) { Stop-TestLibvirtDaemon $daemon }
    }

    It 'reports each NIC''s address from the source that knows it, as the guest sees them' {
        $addresses = @(Get-VirtVmAddress $vm -WaitSec 30)
        $addresses.Nic | Should -Be @('nic1', 'nic2')
        $addresses.Source | Should -Be @('DhcpLease', 'LibvirtLease')
        $daemon.NatSubnet.Contains($addresses[1].IPv4Address[0]) | Should -BeTrue
        $own = @(Get-VirtVmAddress $vm -Session $serial -Source Guest)
        "$($own.IPv4Address)" | Should -Be "$($addresses.IPv4Address)"
        @(Get-VirtVmAddress $vm -Source LibvirtLease | Where-Object HasAddress).Nic | Should -Be 'nic2'
        Get-VirtVmAddress $vm -Source LibvirtAgent -ErrorAction SilentlyContinue -ErrorVariable agent | Should -BeNullOrEmpty
        $agent[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.Network,*'
    }

    It 'answers pings on both networks and SSH on its bridge address' {
        (Test-VirtGuestConnection -Vm $vm).Received | Should -Be 3
        $nat = Get-VirtVmAddress $vm -Nic nic2
        # The NAT network is reachable only inside the daemon's namespace.
        (Test-VirtGuestConnection -Address $nat.PreferredAddress -NetworkNamespace $daemon.Network.Namespace).Received | Should -Be 3
        $ssh = Connect-VirtSession -Vm $vm -Transport Ssh
        try {
            (Invoke-VirtSessionCommand $ssh 'cat /sys/class/net/eth1/address').Output.Trim() | Should -Be $vm.Nics[1].Mac
        }
        finally {
            Disconnect-VirtSession $ssh
        }
    }

    It 'is refused on a backend without libvirt networks, and QEMU has no hypervisor address source' {
        { New-VirtVm -TestGuest -Name net-q -Property @{ nettype = 'network'; netdst = 'virttest' } -ErrorAction Stop } |
            Should -Throw -ErrorId 'VirtTest.NotSupportedByBackend,*'
        $q = New-VirtVm -TestGuest -Name net-q
        try {
            { Get-VirtVmAddress $q -Source LibvirtLease -ErrorAction Stop } | Should -Throw -ErrorId 'VirtTest.NotSupportedByBackend,*'
        }
        finally {
            Remove-VirtVm $q
        }
    }
}

Describe 'The Debian guest on a test network (systemd-networkd)' -Tag 'Guest', 'Network', 'RealGuest' {
    BeforeAll {
        $script:ssh = $null
        $script:dnet = New-VirtTestNetwork
        $guestConfig = (Resolve-Path -LiteralPath (Join-Path $PSScriptRoot '../examples/guests/debian12.cfg')).ProviderPath
        # The distribution's own network stack: systemd-networkd asks for DHCP on every PCI NIC.
        $extra = @('vms = netdeb', 'main_vm = netdeb', 'redirs =', 'shell_client = ssh',
            'nettype = bridge', "netdst = $($dnet.Bridge)", "netdst_netns = $($dnet.Namespace)") -join "`n"
        $p = Expand-VirtConfig -Path $guestConfig -Text $extra
        $script:dvm = $p | New-VirtVm
        $dvm | Start-VirtVm -Wait
        $script:ssh = Wait-VirtLogin -Vm $dvm -Transport Ssh
    }
    AfterAll {
        if ($ssh) { Disconnect-VirtSession $ssh }
        Get-VirtVm -Name netdeb -ErrorAction SilentlyContinue | Remove-VirtVm
        if ($dnet) { Remove-VirtTestNetwork $dnet }
    }

    It 'takes its lease, and its own ip -j view agrees (over SSH to that address)' {
        $lease = Get-VirtVmAddress $dvm -WaitSec 120
        $lease.Source | Should -Be 'DhcpLease'
        $ssh.Name | Should -Match ([regex]::Escape("$($lease.IPv4Address)"))
        (Invoke-VirtSessionCommand $ssh 'ip -j addr show').Output.Trim() | Should -BeLike '`[*'
        $own = Get-VirtVmAddress $dvm -Session $ssh -Source Guest
        $own.Nic | Should -Be 'nic1'
        $own.GuestInterface | Should -Match '^(ens|enp|eth)'
        "$($own.IPv4Address)" | Should -Be "$($lease.IPv4Address)"
        (Test-VirtGuestConnection -Vm $dvm).Received | Should -Be 3
    }

    It 'gives a hot-plugged NIC an address by itself, which answers; its tap goes on unplug' {
        $tapsBefore = @(& ip -n $dnet.Namespace -j link show type tun | ConvertFrom-Json | ForEach-Object ifname)
        Add-VirtPciDevice $dvm -Model virtio-net-pci -Id hpdeb | Out-Null
        $deadline = (Get-Date).AddSeconds(90)
        do {
            $hot = @(Get-VirtVmAddress $dvm -Session $ssh -Source Guest | Where-Object { -not $_.Nic -and $_.IPv4Address.Count })
            if (-not $hot) { Start-Sleep -Seconds 2 }
        } until ($hot -or (Get-Date) -gt $deadline)
        $hot.Count | Should -Be 1 -Because 'systemd-networkd configures the new PCI NIC by DHCP'
        $dnet.Subnet.Contains($hot[0].IPv4Address[0]) | Should -BeTrue
        ($hot[0] | Test-VirtGuestConnection).Received | Should -Be 3
        Remove-VirtPciDevice $dvm -Id hpdeb -TimeoutSec 60
        @(& ip -n $dnet.Namespace -j link show type tun | ConvertFrom-Json | ForEach-Object ifname) | Should -Be $tapsBefore
    }
}
