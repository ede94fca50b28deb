# The libvirt backend through the cmdlets: a VM from params with vm_type = libvirt on a private
# libvirtd (QEMU driver, TCG), booted with Start-VirtVm -Wait; PCI list and hot-plug checked
# inside the guest over the serial console (libvirt's console stream), a PNG screenshot,
# suspend/resume and stop. The daemon is started here and stopped in AfterAll, pass or fail.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $ProgressPreference = 'SilentlyContinue'
    . (Join-Path $PSScriptRoot 'Shared/GuestCommand.ps1')
    . (Join-Path $PSScriptRoot 'Shared/LibvirtDaemon.ps1')

    function Get-GuestPciCount([VirtTest.Core.Vm.VirtualMachine] $Vm) {
        $r = Invoke-GuestCommand $Vm 'ls /sys/bus/pci/devices | wc -l'
        $r.ExitStatus | Should -Be 0
        return [int]$r.Output.Trim()
    }

    function Wait-GuestPciCount([VirtTest.Core.Vm.VirtualMachine] $Vm, [int] $Expected, [double] $TimeoutSec = 20) {
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
        while ($true) {
            $count = Get-GuestPciCount $Vm
            if ($count -eq $Expected -or [DateTime]::UtcNow -ge $deadline) { return $count }
            Start-Sleep -Milliseconds 250
        }
    }
}

Describe 'A libvirt VM through the cmdlets' -Tag 'Guest', 'Libvirt' {
    BeforeAll {
        $script:daemon = Start-TestLibvirtDaemon
        $script:vm = New-VirtVm -TestGuest -Name lv-pester -Property @{ vm_type = 'libvirt'; connect_uri = $daemon.Uri }
        $vm | Start-VirtVm -Wait -TimeoutSec 120
    }
    AfterAll {
        Get-VirtVm -Name lv-pester -ErrorAction SilentlyContinue | Remove-VirtVm -Confirm:$false
        Stop-TestLibvirtDaemon $daemon
    }

    It 'runs on the libvirt backend and declares what it supports' {
        $vm.BackendName | Should -Be 'libvirt'
        $vm.State | Should -Be 'Running'
        $vm.Supports([VirtTest.Core.Vm.VmCapability]::PciHotplug) | Should -BeTrue
        $vm.Supports([VirtTest.Core.Vm.VmCapability]::Migration) | Should -BeFalse
    }

    It 'answers commands over the serial console' {
        $r = Invoke-GuestCommand $vm 'hostname'
        $r.ExitStatus | Should -Be 0
        $r.Output.Trim() | Should -Be 'virttest-guest'
    }

    It 'lists the PCI devices the guest sees, and hot-plugs and removes a NIC' {
        $before = @(Get-VirtPciInfo -Vm $vm)
        $guestBefore = Get-GuestPciCount $vm
        $before.Count | Should -Be $guestBefore
        ($before | Where-Object QdevId -eq 'nic1').ClassDescription | Should -Be 'Ethernet controller'

        $device = Add-VirtPciDevice -Vm $vm -Model e1000 -Id lvhot -TimeoutSec 60
        $device.QdevId | Should -Be 'lvhot'
        $device.VendorDevice | Should -Be '8086:100e'
        @(Get-VirtPciInfo -Vm $vm).Count | Should -Be ($before.Count + 1)
        Wait-GuestPciCount $vm ($guestBefore + 1) | Should -Be ($guestBefore + 1)
        $ids = Invoke-GuestCommand $vm "cat /sys/bus/pci/devices/0000:$($device.Address)/vendor /sys/bus/pci/devices/0000:$($device.Address)/device"
        ($ids.Output -split "`n" | Where-Object { $_ }) -join ':' | Should -Be '0x8086:0x100e'

        Remove-VirtPciDevice -Vm $vm -Id lvhot -TimeoutSec 60 -Confirm:$false
        @(Get-VirtPciInfo -Vm $vm).Count | Should -Be $before.Count
        Wait-GuestPciCount $vm $guestBefore | Should -Be $guestBefore
    }

    It 'saves a valid PNG screenshot' {
        $png = Join-Path $TestDrive 'lv.png'
        Save-VirtScreenshot -Vm $vm -Path $png
        $bytes = [IO.File]::ReadAllBytes($png)
        $bytes.Length | Should -BeGreaterThan 100
        [BitConverter]::ToString($bytes, 0, 8) | Should -Be '89-50-4E-47-0D-0A-1A-0A'
        [Text.Encoding]::ASCII.GetString($bytes, 12, 4) | Should -Be 'IHDR'
    }

    It 'suspends and resumes' {
        Suspend-VirtVm -Vm $vm
        $vm.RefreshStateAsync().GetAwaiter().GetResult() | Should -Be 'Paused'
        Resume-VirtVm -Vm $vm
        $vm.RefreshStateAsync().GetAwaiter().GetResult() | Should -Be 'Running'
        (Invoke-GuestCommand $vm 'echo alive').Output.Trim() | Should -Be 'alive'
    }

    It 'moves to a second libvirt with Move-VirtVm, the guest still answering' {
        $destination = Start-TestLibvirtDaemon
        try {
            $moving = New-VirtVm -TestGuest -Name lv-move -Property @{ vm_type = 'libvirt'; connect_uri = $daemon.Uri; migration_dest_uri = $destination.Uri }
            $moving | Start-VirtVm -Wait -TimeoutSec 120
            Move-VirtVm -Vm $moving -Protocol unix -TimeoutSec 120 -Confirm:$false
            $moving.MigrationCount | Should -Be 1
            (Invoke-GuestCommand $moving 'echo moved').Output.Trim() | Should -Be 'moved'
            # The domain (named lv-move-<id>) left the source daemon, where lv-pester still runs.
            @(& virsh -q -c $daemon.Uri list --all --name | Where-Object { $_ -like 'lv-move-*' }).Count | Should -Be 0
            @(& virsh -q -c $destination.Uri list --name | Where-Object { $_ -like 'lv-move-*' }).Count | Should -Be 1
        }
        finally {
            Get-VirtVm -Name lv-move -ErrorAction SilentlyContinue | Remove-VirtVm -Confirm:$false
            Stop-TestLibvirtDaemon $destination
        }
    }

    It 'stops, leaving no domain defined' {
        Stop-VirtVm -Vm $vm -TimeoutSec 30 -Confirm:$false
        $vm.State | Should -Be 'Stopped'
        $left = & virsh -q -c $daemon.Uri list --all --name | Where-Object { $_ }
        @($left).Count | Should -Be 0 -Because "stop undefines the domain (left: $($left -join ', '))"
    }
}
