# Pester tests for Get-VirtPciInfo, Add-VirtPciDevice and Remove-VirtPciDevice, checked both
# from the hypervisor's side and inside the guest (through its serial console). One booted
# test guest (tag Guest), removed in AfterAll also after failures.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $ProgressPreference = 'SilentlyContinue'

    . (Join-Path $PSScriptRoot 'Shared/GuestCommand.ps1')

    # The number of PCI functions the guest kernel sees.
    function Get-GuestPciCount([VirtTest.Core.Vm.VirtualMachine] $Vm) {
        $r = Invoke-GuestCommand $Vm 'ls /sys/bus/pci/devices | wc -l'
        $r.ExitStatus | Should -Be 0
        return [int]$r.Output.Trim()
    }

    # Polls the guest until its PCI count is $Expected (hot-plug is asynchronous in the guest).
    function Wait-GuestPciCount([VirtTest.Core.Vm.VirtualMachine] $Vm, [int] $Expected, [double] $TimeoutSec = 15) {
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
        while ($true) {
            $count = Get-GuestPciCount $Vm
            if ($count -eq $Expected -or [DateTime]::UtcNow -ge $deadline) { return $count }
            Start-Sleep -Milliseconds 250
        }
    }
}

Describe 'PCI devices of a running VM' -Tag 'Guest' {
    BeforeAll {
        $script:vm = New-VirtVm -TestGuest -Name pci-vm
        $vm | Start-VirtVm -Wait -TimeoutSec 60
        $script:initial = @(Get-VirtPciInfo $vm)
        $script:guestInitial = Get-GuestPciCount $vm
    }
    AfterAll {
        Get-VirtVm -Name pci-vm -ErrorAction SilentlyContinue | Remove-VirtVm
    }

    Context 'Get-VirtPciInfo' {
        It 'lists the built-in devices as PciDevice objects of this VM' {
            $initial.Count | Should -BeGreaterOrEqual 4
            $initial[0] | Should -BeOfType ([VirtTest.Core.Monitor.PciDevice])
            $initial | ForEach-Object { $_.VmName | Should -Be 'pci-vm' }
            $hostBridge = $initial | Where-Object Address -eq '00:00.0'
            $hostBridge.VendorDevice | Should -Be '8086:1237'
            $hostBridge.ClassCode | Should -Be 0x0600
            $nic = @($initial | Where-Object QdevId -eq 'nic1')
            $nic.Count | Should -Be 1
            $nic[0].VendorDevice | Should -Be '1af4:1000'
            $nic[0].ClassCode | Should -Be 0x0200
            $nic[0].ClassDescription | Should -Match 'Ethernet'
            $nic[0].Address | Should -Match '^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$'
        }

        It 'agrees with what the guest sees' {
            $guestInitial | Should -Be $initial.Count
        }

        It 'filters by id with wildcards, ignoring case' {
            @(Get-VirtPciInfo $vm -Id 'NIC*').QdevId | Should -Be 'nic1'
            @(Get-VirtPciInfo -Name pci-vm -Id 'no-such-id').Count | Should -Be 0
        }

        It 'takes VMs from the pipeline and by name' {
            @($vm | Get-VirtPciInfo).Count | Should -Be $initial.Count
            @(Get-VirtPciInfo -Name 'pci-*').Count | Should -Be $initial.Count
        }

        It 'shows devices as a table with the class code as four hex digits' {
            $text = $initial | Format-Table | Out-String
            $text | Should -Match 'Address\s+VendorDevice\s+Class\s+ClassDescription\s+QdevId'
            $text | Should -Match '00:00\.0\s+8086:1237\s+0600\s+Host bridge'
            $text | Should -Match '1af4:1000\s+0200\s+Ethernet controller\s+nic1'
        }
    }

    Context 'Add-VirtPciDevice and Remove-VirtPciDevice' {
        It 'hot-plugs an e1000 NIC that the VM lists with its id and the guest sees' {
            $added = Add-VirtPciDevice $vm -Model e1000 -Id hp-e1000 -Property @{ mac = '52:54:00:12:34:99' }
            $added | Should -BeOfType ([VirtTest.Core.Monitor.PciDevice])
            $added.QdevId | Should -Be 'hp-e1000'
            $added.VmName | Should -Be 'pci-vm'
            $added.VendorDevice | Should -Be '8086:100e'
            $added.ClassCode | Should -Be 0x0200

            $listed = @(Get-VirtPciInfo $vm -Id hp-e1000)
            $listed.Count | Should -Be 1
            $listed[0].Address | Should -Be $added.Address
            $initial.Address | Should -Not -Contain $added.Address
            @(Get-VirtPciInfo $vm).Count | Should -Be ($initial.Count + 1)
            Wait-GuestPciCount $vm ($guestInitial + 1) | Should -Be ($guestInitial + 1)
            (Invoke-GuestCommand $vm "cat /sys/bus/pci/devices/0000:$($added.Address)/vendor").Output.Trim() | Should -Be '0x8086'
        }

        It 'unplugs it by id: gone from the VM and from the guest' {
            Remove-VirtPciDevice $vm -Id hp-e1000 -TimeoutSec 30
            Get-VirtPciInfo $vm -Id hp-e1000 | Should -BeNullOrEmpty
            @(Get-VirtPciInfo $vm).Count | Should -Be $initial.Count
            Wait-GuestPciCount $vm $guestInitial | Should -Be $guestInitial
        }

        It 'hot-plugs a virtio-net-pci NIC by VM name' {
            $added = Add-VirtPciDevice -Name pci-vm -Model virtio-net-pci -Id hp-virtio
            $added.QdevId | Should -Be 'hp-virtio'
            $added.VendorDevice | Should -Be '1af4:1000'
            @(Get-VirtPciInfo $vm -Id hp-virtio).Count | Should -Be 1
            Wait-GuestPciCount $vm ($guestInitial + 1) | Should -Be ($guestInitial + 1)
            # The guest has the virtio_net driver: the new card becomes a second network interface.
            $ifaces = { (Invoke-GuestCommand $vm 'ls /sys/class/net | grep -c ^eth').Output.Trim() }
            $deadline = [DateTime]::UtcNow.AddSeconds(10)
            while ((& $ifaces) -ne '2' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 250 }
            & $ifaces | Should -Be '2'
        }

        It 'unplugs devices piped from Get-VirtPciInfo -Id' {
            Get-VirtPciInfo $vm -Id hp-virtio | Remove-VirtPciDevice -TimeoutSec 30
            Get-VirtPciInfo $vm -Id hp-virtio | Should -BeNullOrEmpty
            Wait-GuestPciCount $vm $guestInitial | Should -Be $guestInitial
        }

        It 'binds -VmName and generates an id when -Id is omitted' {
            $added = Add-VirtPciDevice $vm -Model e1000
            $added.QdevId | Should -Not -BeNullOrEmpty
            Remove-VirtPciDevice -VmName pci-vm -Id $added.QdevId
            Get-VirtPciInfo $vm -Id $added.QdevId | Should -BeNullOrEmpty
        }

        It 'adds and removes nothing with -WhatIf' {
            Add-VirtPciDevice $vm -Model e1000 -Id hp-whatif -WhatIf | Should -BeNullOrEmpty
            Get-VirtPciInfo $vm -Id hp-whatif | Should -BeNullOrEmpty
            Remove-VirtPciDevice $vm -Id nic1 -WhatIf
            Get-VirtPciInfo $vm -Id nic1 | Should -Not -BeNullOrEmpty
        }
    }

    Context 'Errors' {
        It 'gives the monitor''s error for an id that is already used' {
            $out = Add-VirtPciDevice $vm -Model e1000 -Id nic1 -ErrorVariable errs -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.MonitorCommand.*'
            "$($errs[0])" | Should -Match 'nic1'
        }

        It 'gives the monitor''s error for an unknown model' {
            Add-VirtPciDevice $vm -Model no-such-device -Id hp-bad -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.MonitorCommand.*'
            "$($errs[0])" | Should -Match 'no-such-device'
        }

        It 'gives a DeviceNotFound error for an id the VM does not have' {
            Remove-VirtPciDevice $vm -Id no-such-id -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.MonitorCommand.DeviceNotFound,*'
        }

        It 'leaves the device list as it was' {
            @(Get-VirtPciInfo $vm).Count | Should -Be $initial.Count
            Get-GuestPciCount $vm | Should -Be $guestInitial
        }
    }
}

Describe 'PCI operations on a VM that does not run' {
    BeforeAll {
        $script:idle = New-VirtVm -TestGuest -Name pci-idle
    }
    AfterAll {
        Get-VirtVm -Name pci-idle -ErrorAction SilentlyContinue | Remove-VirtVm
    }

    It 'are VmState errors' {
        Get-VirtPciInfo $idle -ErrorVariable e1 -ErrorAction SilentlyContinue
        Add-VirtPciDevice $idle -Model e1000 -ErrorVariable e2 -ErrorAction SilentlyContinue
        Remove-VirtPciDevice $idle -Id x -ErrorVariable e3 -ErrorAction SilentlyContinue
        foreach ($e in $e1, $e2, $e3) {
            $e.Count | Should -Be 1
            $e[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmState,*'
            "$($e[0])" | Should -Match 'Created'
        }
    }

    It 'is NotSupportedByBackend to hot-plug into a machine without a hot-pluggable PCI bus' {
        $micro = New-VirtVm -Name pci-micro -MemoryMB 64 -Property @{ machine_type = 'microvm'; vga = 'none' }
        try {
            (Get-VirtCapability $micro -Name PciHotplug).Supported | Should -BeFalse
            Add-VirtPciDevice $micro -Model e1000 -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.NotSupportedByBackend,*'
            $errs[0].CategoryInfo.Category | Should -Be 'NotImplemented'
        }
        finally {
            Remove-VirtVm $micro
        }
    }
}
