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
        @(Get-OwnNamespace).Count | Should -Be $before.Count
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
        $script:pool = [VirtTest.Core.Resources.MacAddressPool]::new()
        $script:guests = @()
        # Until the backends create taps for nettype = bridge (with the foundation's VM driver
        # changes), the test makes each tap and gives it to QEMU through extra_params; QEMU opens
        # it in the host's namespace and the tap then moves onto the bridge in the test namespace.
        foreach ($name in 'net-a', 'net-b') {
            $mac = $pool.Allocate()
            $tap = [VirtTest.Core.Network.TapDevice]::CreateForNicAsync($name, 'nic1', $false, $null, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
            $extra = "-netdev tap,id=tn0,ifname=$tap,script=no,downscript=no -device virtio-net-pci,netdev=tn0,mac=$mac"
            $vm = New-VirtVm -TestGuest -Name $name -Property @{ nics = ''; redirs = ''; extra_params = $extra }
            $script:guests += [pscustomobject]@{ Name = $name; Vm = $vm; Mac = $mac; Tap = $tap; Session = $null }
        }
        foreach ($g in $guests) {
            Start-VirtVm $g.Vm
            [VirtTest.Core.Network.TapDevice]::AttachToBridgeAsync($g.Tap, $net.Bridge, $net.Namespace, $null, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
        }
        foreach ($g in $guests) {
            $g.Session = Wait-VirtLogin -Vm $g.Vm -TimeoutSec 90
            $null = $net.WaitForLeaseAsync($g.Mac, [TimeSpan]::FromSeconds(30), [Threading.CancellationToken]::None).GetAwaiter().GetResult()
        }
        $script:a = $guests[0]
        $script:b = $guests[1]
    }
    AfterAll {
        foreach ($g in $guests) { Remove-VirtVm $g.Vm }
        foreach ($g in $guests) {
            $null = [VirtTest.Core.Network.TapDevice]::DeleteAsync($g.Tap, $net.Namespace, $null, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
        }
        if ($net) { Remove-VirtTestNetwork $net }
        if ($pool) { $pool.Dispose() }
    }

    It 'gives each guest a lease that Get-VirtVmAddress reports as the guest sees it' {
        foreach ($g in $a, $b) {
            $own = Get-VirtVmAddress $g.Vm -Session $g.Session -Source Guest -Nic eth0
            $own.Source | Should -Be 'Guest'
            $own.MacAddress | Should -Be $g.Mac
            @($own.IPv4Address).Count | Should -Be 1
            $net.Subnet.Contains($own.IPv4Address[0]) | Should -BeTrue

            $lease = Get-VirtVmAddress $g.Vm -Session $g.Session -Source DhcpLease | Where-Object MacAddress -eq $g.Mac
            $lease.Source | Should -Be 'DhcpLease'
            $lease.Network | Should -Be $net.Name
            "$($lease.IPv4Address)" | Should -Be "$($own.IPv4Address)"
            (Get-VirtVmAddress $g.Vm -Session $g.Session | Where-Object MacAddress -eq $g.Mac).Source | Should -Be 'DhcpLease'
        }
        "$((Get-VirtVmAddress $a.Vm -Session $a.Session -Nic eth0).IPv4Address)" | Should -Not -Be "$((Get-VirtVmAddress $b.Vm -Session $b.Session -Nic eth0).IPv4Address)"
        (Get-VirtVmAddress $a.Vm -Session $a.Session -Nic eth0 | Format-Table | Out-String) | Should -Match ([regex]::Escape($a.Mac))
    }

    It 'answers pings from the host' {
        foreach ($g in $a, $b) {
            $r = Get-VirtVmAddress $g.Vm -Session $g.Session -Nic eth0 | Test-VirtGuestConnection -Count 3
            $r.Received | Should -Be 3
            $r.LossPercent | Should -Be 0
        }
    }

    It 'pings the host and the other guest from a guest' {
        $toHost = Test-VirtGuestConnection -Session $a.Session -Address $net.HostAddress
        $toHost.Received | Should -Be 3
        $toHost.Source | Should -Be $a.Session.Name
        $toB = Test-VirtGuestConnection -Session $a.Session -TargetVm $b.Vm -TargetSession $b.Session
        $toB.Received | Should -Be 3
        $toB.Target | Should -Be "$((Get-VirtVmAddress $b.Vm -Session $b.Session -Nic eth0).IPv4Address)"
        Test-VirtGuestConnection -Session $b.Session -Address $net.Subnet.Host(222) -Count 1 -ReplyTimeoutSec 1 -Quiet | Should -BeFalse
    }

    It 'accepts SSH from the host on the guest''s address' {
        $ip = (Get-VirtVmAddress $a.Vm -Session $a.Session -Nic eth0).PreferredAddress
        $options = [VirtTest.Core.Session.SshConnectionOptions]@{ Host = "$ip"; UserName = $a.Vm.Params['username']; Password = $a.Vm.Params['password']; VmName = $a.Name }
        $ssh = [VirtTest.Core.Session.SshSession]::ConnectAsync($options, [TimeSpan]::FromSeconds(60), [Threading.CancellationToken]::None).GetAwaiter().GetResult()
        try {
            (Invoke-VirtSessionCommand $ssh 'cat /sys/class/net/eth0/address').Output.Trim() | Should -Be $a.Mac
        }
        finally {
            $ssh.Dispose()
        }
    }
}
