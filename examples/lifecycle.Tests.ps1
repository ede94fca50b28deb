# A VM's life cycle as one spec for every backend (examples/lifecycle.cfg): start and answer in a
# session (SSH or the serial console, as shell_client says), pause and resume, a screenshot,
# stop. What a backend cannot do is found by
# capability and that step is skipped with the reason (Xen PV: no screenshot). Where the
# variant's backend needs a host that the params do not name, the spec provides one: a private
# libvirtd, or the nested Xen lab when one runs (else the Xen variant is skipped, saying so).
# Boots the test guest: tagged Guest.

BeforeDiscovery {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $tests = @(Expand-VirtConfig -Path (Join-Path $PSScriptRoot 'lifecycle.cfg'))
    # Variants on Xen also carry the Xen tag (they need the nested Xen lab).
    $script:onXen = @($tests | Where-Object { $_['vm_type'] -eq 'xen' })
    $script:elsewhere = @($tests | Where-Object { $_['vm_type'] -ne 'xen' })
}

Describe 'Life cycle of a VM on <backend>' -Tag 'Guest' -ForEach $elsewhere -Fixture ($script:lifecycle = {
    BeforeAll {
        $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
        Import-Module -Name $modulePath -Force
        $params = $_
        # What this backend can do decides which steps run; the others are skipped with the reason.
        $backend = "backend $($params['vm_type'])$(if ($params['xen_guest_type']) { " ($($params['xen_guest_type']))" })"
        function Get-SkipReason([string[]] $Needed) {
            if ($script:setupSkip) { return $script:setupSkip }
            $missing = @($Needed | Where-Object { -not (Test-VirtCapability -Params $params -Name $_) })
            if ($missing) { "$backend does not support $($missing -join ', ')" }
        }
        # A session over SSH needs no serial console.
        $sessionNeeds = @(if ($params['shell_client'] -ne 'ssh') { 'SerialConsole' })
        $vm = $null
        $script:session = $null
        $script:setupSkip = ''
        $daemon = $null
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
        if ($params['vm_type'] -eq 'xen' -and -not $params['xen_host']) {
            # No Xen host given: the nested Xen lab, when one runs.
            . (Join-Path $PSScriptRoot '../tests/Shared/XenLab.ps1')
            $lab = Get-XenLabParams
            if ($lab) { foreach ($k in $lab.Keys) { $params[$k] = $lab[$k] } } else { $script:setupSkip = $XenLabHint }
        }
        # The test guest's kernel and initrd, with this variant's params (its backend) on top.
        if (-not $setupSkip) { $vm = New-VirtVm -TestGuest -Name "life-$($params.ShortName)" -Property $params }
        $shot = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-life-$PID-$($params.ShortName).png"
    }

    AfterAll {
        if ($session) { Disconnect-VirtSession -Session $session }
        if ($vm) { Remove-VirtVm -Vm $vm -Confirm:$false }
        if ($daemon) { Stop-TestLibvirtDaemon $daemon }
        if (Test-Path -LiteralPath $shot) { Remove-Item -LiteralPath $shot }
    }

    It 'starts and answers in a <shell_client> session' {
        if ($why = Get-SkipReason $sessionNeeds) { Set-ItResult -Skipped -Because $why; return }
        $vm | Start-VirtVm -Wait
        $script:session = Wait-VirtLogin -Vm $vm
        (Invoke-VirtSessionCommand -Session $session -Command 'echo alive').Output.Trim() | Should -Be 'alive'
        (Get-VirtVm -Name $vm.Name -Refresh).State | Should -Be Running
    }

    It 'pauses and resumes' {
        if ($why = Get-SkipReason (@($sessionNeeds) + 'Pause')) { Set-ItResult -Skipped -Because $why; return }
        Suspend-VirtVm -Vm $vm
        (Get-VirtVm -Name $vm.Name -Refresh).State | Should -Be Paused
        Resume-VirtVm -Vm $vm
        (Get-VirtVm -Name $vm.Name -Refresh).State | Should -Be Running
        (Invoke-VirtSessionCommand -Session $session -Command 'echo still').Output.Trim() | Should -Be 'still'
    }

    It 'takes a screenshot (a PNG)' {
        if ($why = Get-SkipReason 'Screendump') { Set-ItResult -Skipped -Because $why; return }
        Save-VirtScreenshot -Vm $vm -Path $shot
        $bytes = [System.IO.File]::ReadAllBytes($shot)
        $bytes.Length | Should -BeGreaterThan 100
        [System.Text.Encoding]::ASCII.GetString($bytes, 1, 3) | Should -Be 'PNG'
    }

    It 'stops' {
        if ($why = Get-SkipReason $sessionNeeds) { Set-ItResult -Skipped -Because $why; return }
        Disconnect-VirtSession -Session $session
        $script:session = $null
        Stop-VirtVm -Vm $vm -TimeoutSec 60 -Confirm:$false
        $vm.State | Should -BeIn 'Stopped', 'Dead'
    }
})

Describe 'Life cycle of a VM on <backend>' -Tag 'Guest', 'Xen' -ForEach $onXen -Fixture $lifecycle
