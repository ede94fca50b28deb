# A VM's life cycle as one spec for every backend (examples/lifecycle.cfg): start and answer in a
# session (SSH or the serial console, as shell_client says), pause and resume, a screenshot,
# stop. No backend-specific code: what a
# backend cannot do is found by capability and the variant is skipped with that reason.
# Boots the test guest: tagged Guest.

BeforeDiscovery {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $tests = @(Expand-VirtConfig -Path (Join-Path $PSScriptRoot 'lifecycle.cfg'))
}

Describe 'Life cycle of a VM on <backend>' -Tag 'Guest' -ForEach $tests {
    BeforeAll {
        $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
        Import-Module -Name $modulePath -Force
        $params = $_
        $needed = @('Pause', 'Screendump') + $(if ($params['shell_client'] -eq 'ssh') { @() } else { @('SerialConsole') })
        $missing = @($needed | Where-Object { -not (Test-VirtCapability -Params $params -Name $_) })
        $because = "backend $($params['vm_type'])$(if ($params['xen_guest_type']) { " ($($params['xen_guest_type']))" }) does not support $($missing -join ', ')"
        $vm = $null
        $script:session = $null
        $daemon = $null
        if (-not $missing) {
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
            # The test guest's kernel and initrd, with this variant's params (its backend) on top.
            $vm = New-VirtVm -TestGuest -Name "life-$($params.ShortName)" -Property $params
        }
        $shot = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-life-$PID-$($params.ShortName).png"
    }

    AfterAll {
        if ($session) { Disconnect-VirtSession -Session $session }
        if ($vm) { Remove-VirtVm -Vm $vm -Confirm:$false }
        if ($daemon) { Stop-TestLibvirtDaemon $daemon }
        if (Test-Path -LiteralPath $shot) { Remove-Item -LiteralPath $shot }
    }

    It 'starts and answers in a <shell_client> session' {
        if ($missing) { Set-ItResult -Skipped -Because $because }
        $vm | Start-VirtVm -Wait
        $script:session = Wait-VirtLogin -Vm $vm
        (Invoke-VirtSessionCommand -Session $session -Command 'echo alive').Output.Trim() | Should -Be 'alive'
        (Get-VirtVm -Name $vm.Name -Refresh).State | Should -Be Running
    }

    It 'pauses and resumes' {
        if ($missing) { Set-ItResult -Skipped -Because $because }
        Suspend-VirtVm -Vm $vm
        (Get-VirtVm -Name $vm.Name -Refresh).State | Should -Be Paused
        Resume-VirtVm -Vm $vm
        (Get-VirtVm -Name $vm.Name -Refresh).State | Should -Be Running
        (Invoke-VirtSessionCommand -Session $session -Command 'echo still').Output.Trim() | Should -Be 'still'
    }

    It 'takes a screenshot (a PNG)' {
        if ($missing) { Set-ItResult -Skipped -Because $because }
        Save-VirtScreenshot -Vm $vm -Path $shot
        $bytes = [System.IO.File]::ReadAllBytes($shot)
        $bytes.Length | Should -BeGreaterThan 100
        [System.Text.Encoding]::ASCII.GetString($bytes, 1, 3) | Should -Be 'PNG'
    }

    It 'stops' {
        if ($missing) { Set-ItResult -Skipped -Because $because }
        Disconnect-VirtSession -Session $session
        $script:session = $null
        Stop-VirtVm -Vm $vm -TimeoutSec 60 -Confirm:$false
        $vm.State | Should -BeIn 'Stopped', 'Dead'
    }
}
