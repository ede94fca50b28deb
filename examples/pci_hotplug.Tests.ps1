# The seed's pci_hotplug test as a Pester spec: params from examples/pci_hotplug.cfg, one
# Describe per variant; the device is checked in the monitor (Get-VirtPciInfo,
# Get-VirtBlockDevice) and inside the guest (reference_cmd over a session: SSH or the serial
# console, as shell_client says) before, after hot-plug
# and after removal; a hot-plugged disk also gets a file system (where the guest has mkfs;
# raw data on the busybox test guest) with data written and read back. No raw monitor text
# anywhere. Boots the test guest: tagged Guest.
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
    $nicTests = @($tests | Where-Object { $_['pci_type'] -ne 'block' })
    $blockTests = @($tests | Where-Object { $_['pci_type'] -eq 'block' })
}

BeforeAll {
    # Start-/Stop-TestLibvirtDaemon, for a libvirt variant without a connect_uri.
    . (Join-Path $PSScriptRoot '../tests/Shared/LibvirtDaemon.ps1')

    # A VM for one variant: the runner's (with its session), or the spec's own test guest.
    function Initialize-HotplugVm($params) {
        $state = @{ Vm = $Vm; Session = $Session; Own = -not $Vm; Daemon = $null }
        if ($state.Own) {
            $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
            Import-Module -Name $modulePath -Force
            if ($params['vm_type'] -eq 'libvirt' -and -not $params['connect_uri']) {
                # No libvirt given: a private daemon for this variant, stopped in AfterAll.
                # With SSH the guest needs an address this process reaches: the daemon runs in a
                # test network's namespace and the guest's NIC sits on that network's bridge.
                $state.Daemon = Start-TestLibvirtDaemon -Network:($params['shell_client'] -eq 'ssh')
                $params['connect_uri'] = $state.Daemon.Uri
                if ($state.Daemon.Network) {
                    foreach ($kv in $state.Daemon.Network.NicParams.GetEnumerator()) { $params[$kv.Key] = $kv.Value }
                }
            }
            # The test guest's kernel and initrd, with this test's params on top.
            $state.Vm = New-VirtVm -TestGuest -Name "hotplug-$($params.ShortName)" -Property $params
            $state.Vm | Start-VirtVm -Wait
            $state.Session = Wait-VirtLogin -Vm $state.Vm
        }
        return $state
    }

    function Clear-HotplugVm($state) {
        if (-not $state) { return }
        if ($state.Own) {
            if ($state.Session) { Disconnect-VirtSession -Session $state.Session }
            if ($state.Vm) { Remove-VirtVm -Vm $state.Vm }
        }
        if ($state.Daemon) { Stop-TestLibvirtDaemon $state.Daemon }
    }
}

Describe 'PCI hot-plug of <pci_model> on <backend>' -Tag 'Guest' -ForEach $nicTests {
    BeforeAll {
        $params = $_
        $state = $null
        # What the spec needs from the backend; without it every test is skipped, saying why.
        $sessionNeeds = @(if ($params['shell_client'] -ne 'ssh') { 'SerialConsole' })
        $missing = @(@('PciHotplug', 'PciInfo') + $sessionNeeds | Where-Object { -not (Test-VirtCapability -Params $params -Name $_) })
        $because = "backend $($params['vm_type'])$(if ($params['xen_guest_type']) { " ($($params['xen_guest_type']))" }) does not support $($missing -join ', ')"
        if ($missing) { return }
        $state = Initialize-HotplugVm $params
        $vm = $state.Vm
        $session = $state.Session

        function Get-GuestPciList {
            @((Invoke-VirtSessionCommand -Session $session -Command $find_pci_cmd -ErrorAction Stop).Output -split "`n" | Where-Object { $_ })
        }

        if ($modprobe_module) {
            Invoke-VirtSessionCommand -Session $session -Command "modprobe $modprobe_module" -ErrorAction Stop
        }
        $referenceBefore = (Invoke-VirtSessionCommand -Session $session -Command $reference_cmd -ErrorAction Stop).Output
        $guestBefore = @(Get-GuestPciList)
        $monitorBefore = @(Get-VirtPciInfo -Vm $vm)
    }

    AfterAll {
        Clear-HotplugVm $state
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
            $guestAfter = @(Get-GuestPciList)
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

Describe 'Disk hot-plug of <pci_model> on <backend>' -Tag 'Guest' -ForEach $blockTests {
    BeforeAll {
        $params = $_
        $state = $null
        $missing = @('DiskHotplug', 'BlockInfo', 'SerialConsole' | Where-Object { -not (Test-VirtCapability -Params $params -Name $_) })
        $because = "backend $($params['vm_type']) does not support $($missing -join ', ')"
        if ($missing) { return }
        $state = Initialize-HotplugVm $params
        $vm = $state.Vm
        $session = $state.Session

        function Get-GuestDisk {
            @((Invoke-VirtSessionCommand -Session $session -Command $disk_list_cmd -ErrorAction Stop).Output -split "`n" | ForEach-Object Trim | Where-Object { $_ })
        }
        function Invoke-Guest([string] $Command) {
            (Invoke-VirtSessionCommand -Session $session -Command $Command -TimeoutSec $hotplug_timeout -ErrorAction Stop).Output.Trim()
        }

        $imageDir = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-hotplug-$PID-$($params.ShortName)"
        $null = New-Item -ItemType Directory -Path $imageDir -Force
        $image = New-VirtImage (Join-Path $imageDir 'hotplug.qcow2') -Size $image_size_hotplug
        $disksBefore = @(Get-GuestDisk)
        $monitorBefore = @(Get-VirtBlockDevice -Vm $vm)
    }

    AfterAll {
        Clear-HotplugVm $state
        if ($imageDir -and (Test-Path -LiteralPath $imageDir)) { Remove-Item -LiteralPath $imageDir -Recurse -Force }
    }

    It 'adds the disk, which the monitor lists' {
        if ($missing) { Set-ItResult -Skipped -Because $because }
        $disk = Add-VirtDisk -Vm $vm -Path $image.Path -Bus $disk_bus -Id hotdisk -TimeoutSec $hotplug_timeout
        $disk.File | Should -Be $image.Path
        $monitorAfter = @(Get-VirtBlockDevice -Vm $vm)
        $monitorAfter.Count | Should -Be ($monitorBefore.Count + 1)
        $monitorAfter.Id | Should -Contain 'hotdisk'
    }

    It 'shows the new disk inside the guest' {
        if ($missing) { Set-ItResult -Skipped -Because $because }
        $deadline = (Get-Date).AddSeconds($hotplug_timeout)
        do {
            $disksAfter = @(Get-GuestDisk)
        } until ($disksAfter.Count -gt $disksBefore.Count -or (Get-Date) -gt $deadline)
        $new = @($disksAfter | Where-Object { $_ -notin $disksBefore })
        $new.Count | Should -Be 1
        $new[0] | Should -BeLike "$guest_disk_prefix*"
        $script:guestDisk = $new[0]
    }

    It 'holds data: a file system written and read back (raw data without mkfs)' {
        if ($missing) { Set-ItResult -Skipped -Because $because }
        $hasMkfs = (Invoke-VirtSessionCommand -Session $session -Command "command -v $(($mkfs_cmd -split ' ')[0])" -IgnoreExitCode).ExitCode -eq 0
        $null = Invoke-Guest 'dd if=/dev/urandom of=/tmp/hotplug.data bs=1024k count=1 2>/dev/null'
        $expected = (Invoke-Guest 'md5sum /tmp/hotplug.data') -split ' ' | Select-Object -First 1
        if ($hasMkfs) {
            $null = Invoke-Guest "$mkfs_cmd /dev/$guestDisk && mkdir -p /mnt/hotplug && mount /dev/$guestDisk /mnt/hotplug && cp /tmp/hotplug.data /mnt/hotplug/ && umount /mnt/hotplug"
            $null = Invoke-Guest "echo 3 > /proc/sys/vm/drop_caches; mount /dev/$guestDisk /mnt/hotplug"
            $actual = (Invoke-Guest 'md5sum /mnt/hotplug/hotplug.data') -split ' ' | Select-Object -First 1
            $null = Invoke-Guest 'umount /mnt/hotplug'
        }
        else {
            $null = Invoke-Guest "dd if=/tmp/hotplug.data of=/dev/$guestDisk bs=1024k seek=1 conv=notrunc 2>/dev/null && sync && echo 3 > /proc/sys/vm/drop_caches"
            $actual = (Invoke-Guest "dd if=/dev/$guestDisk bs=1024k skip=1 count=1 2>/dev/null | md5sum") -split ' ' | Select-Object -First 1
        }
        $actual | Should -Be $expected
    }

    It 'removes the disk: monitor and guest are back to the reference' {
        if ($missing) { Set-ItResult -Skipped -Because $because }
        Remove-VirtDisk -Vm $vm -Id hotdisk -TimeoutSec $hotplug_timeout
        @(Get-VirtBlockDevice -Vm $vm).Count | Should -Be $monitorBefore.Count
        $deadline = (Get-Date).AddSeconds($hotplug_timeout)
        do {
            $disksNow = @(Get-GuestDisk)
        } until ($disksNow.Count -eq $disksBefore.Count -or (Get-Date) -gt $deadline)
        $disksNow | Should -Be $disksBefore
    }
}
