# The seed's pci_hotplug test as a Pester spec: params from examples/pci_hotplug.cfg, one
# Describe per variant; the device is checked in the monitor (Get-VirtPciInfo) and inside the
# guest (reference_cmd over a session: SSH or the serial console, as shell_client says) before,
# after hot-plug and after removal.
# No raw monitor text anywhere. Boots the test guest: tagged Guest.
#
# Alone (Invoke-Pester) it expands the config and makes its own VMs. Run by Invoke-VirtTestRun
# (type = pci_hotplug, see examples/run/run.cfg) it gets the test's params, its running VM and
# a logged-in session, and leaves the VM to the runner.
param(
    $Params,
    $Vm,
    $Session
)

BeforeDiscovery {
    if ($Params) {
        $tests = @(, $Params)
    }
    else {
        $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
        Import-Module -Name $modulePath -Force
        $tests = @(Expand-VirtConfig -Path (Join-Path $PSScriptRoot 'pci_hotplug.cfg'))
    }
}

Describe 'PCI hot-plug of <pci_model> on <backend>' -Tag 'Guest' -ForEach $tests {
    BeforeAll {
        $params = $_
        # What the spec needs from the backend; without it every test is skipped, saying why.
        $sessionNeeds = if ($params['shell_client'] -eq 'ssh') { @() } else { @('SerialConsole') }
        $missing = @(@('PciHotplug', 'PciInfo') + $sessionNeeds | Where-Object { -not (Test-VirtCapability -Params $params -Name $_) })
        $because = "backend $($params['vm_type'])$(if ($params['xen_guest_type']) { " ($($params['xen_guest_type']))" }) does not support $($missing -join ', ')"
        $ownVm = -not $Vm
        $daemon = $null
        if ($missing) { return }
        if ($ownVm) {
            $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
            Import-Module -Name $modulePath -Force
            if ($params['vm_type'] -eq 'libvirt' -and -not $params['connect_uri']) {
                # No libvirt given: a private daemon for this variant, stopped in AfterAll.
                # With SSH the guest needs an address this process reaches: the daemon runs in a
                # test network's namespace and the guest's NIC sits on that network's bridge.
                . (Join-Path $PSScriptRoot '../tests/Shared/LibvirtDaemon.ps1')
                $daemon = Start-TestLibvirtDaemon -Network:($params['shell_client'] -eq 'ssh')
                $params['connect_uri'] = $daemon.Uri
                if ($daemon.Network) {
                    foreach ($kv in $daemon.Network.NicParams.GetEnumerator()) { $params[$kv.Key] = $kv.Value }
                }
            }
            # The test guest's kernel and initrd, with this test's params on top.
            $vm = New-VirtVm -TestGuest -Name "hotplug-$($params.ShortName)" -Property $params
            $vm | Start-VirtVm -Wait
            $session = Wait-VirtLogin -Vm $vm
        }

        function Get-GuestPciList {
            @((Invoke-VirtSessionCommand -Session $session -Command $find_pci_cmd -ErrorAction Stop).Output -split "`n" | Where-Object { $_ })
        }

        if ($modprobe_module) {
            Invoke-VirtSessionCommand -Session $session -Command "modprobe $modprobe_module" -ErrorAction Stop
        }
        $referenceBefore = (Invoke-VirtSessionCommand -Session $session -Command $reference_cmd -ErrorAction Stop).Output
        $guestBefore = Get-GuestPciList
        $monitorBefore = @(Get-VirtPciInfo -Vm $vm)
    }

    AfterAll {
        if ($ownVm) {
            if ($session) { Disconnect-VirtSession -Session $session }
            if ($vm) { Remove-VirtVm -Vm $vm }
        }
        if ($daemon) { Stop-TestLibvirtDaemon $daemon }
    }

    It 'adds the device, which the monitor lists' {
        if ($missing) { Set-ItResult -Skipped -Because $because }
        $script:device = Add-VirtPciDevice -Vm $vm -Model $pci_model -Id hotplugged -TimeoutSec $hotplug_timeout
        $monitorAfter = @(Get-VirtPciInfo -Vm $vm)
        $monitorAfter.Count | Should -Be ($monitorBefore.Count + 1)
        $monitorAfter.QdevId | Should -Contain 'hotplugged'
        $device.ClassDescription | Should -Be 'Ethernet controller'
    }

    It 'shows the new device inside the guest' {
        if ($missing) { Set-ItResult -Skipped -Because $because }
        # ACPI hot-plug reaches the guest shortly after the monitor lists the device.
        $deadline = (Get-Date).AddSeconds($hotplug_timeout)
        do {
            $guestAfter = Get-GuestPciList
        } until ($guestAfter.Count -gt $guestBefore.Count -or (Get-Date) -gt $deadline)
        $guestAfter.Count | Should -Be ($guestBefore.Count + 1)
        $newIds = @(Compare-Object $guestBefore $guestAfter | Where-Object SideIndicator -eq '=>' | ForEach-Object InputObject)
        $newIds | Should -Contain ('0x{0:x4}:0x{1:x4}' -f $device.VendorId, $device.DeviceId)
        (Invoke-VirtSessionCommand -Session $session -Command $reference_cmd).Output | Should -Not -Be $referenceBefore
    }

    It 'removes the device: monitor and guest are back to the reference' {
        if ($missing) { Set-ItResult -Skipped -Because $because }
        Remove-VirtPciDevice -Vm $vm -Id hotplugged -TimeoutSec $hotplug_timeout
        @(Get-VirtPciInfo -Vm $vm).Count | Should -Be $monitorBefore.Count
        $deadline = (Get-Date).AddSeconds($hotplug_timeout)
        do {
            $reference = (Invoke-VirtSessionCommand -Session $session -Command $reference_cmd -ErrorAction Stop).Output
        } until ($reference -eq $referenceBefore -or (Get-Date) -gt $deadline)
        $reference | Should -Be $referenceBefore
    }
}
