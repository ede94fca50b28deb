# The Xen backend on a real hypervisor: the nested Xen lab (build/XenLab.ps1), reached over SSH
# with xen_host. Through the cmdlets: a PV guest's life cycle (Start-VirtVm -Wait on its console
# ready line, serial session commands, pause/resume with the state xl reports, Stop-VirtVm
# graceful, then forced on a guest that ignores the request), Get-VirtCapability against what
# the hypervisor did, and the typed errors of an unreachable host, a refused login and a config
# xl rejects. build.ps1 -Task Test starts the lab once for the suite (VIRTTEST_XEN_LAB); without
# a running lab every test here is skipped, saying how to start one. Tags: Xen, Guest.

BeforeDiscovery {
    $labFolder = if ($env:VIRTTEST_XEN_LAB) { $env:VIRTTEST_XEN_LAB } else { Join-Path $PSScriptRoot '../.build/xenlab/lab' }
    $script:labState = Join-Path $labFolder 'lab.json'
    $script:noLab = if (Test-Path -LiteralPath $labState) { '' } else {
        "no Xen lab runs ($labState is missing): start one with 'dotnet pwsh ./build.ps1 -Task XenLab' (or run build.ps1 -Task Test)"
    }
}

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $ProgressPreference = 'SilentlyContinue'
    $labFolder = if ($env:VIRTTEST_XEN_LAB) { $env:VIRTTEST_XEN_LAB } else { Join-Path $PSScriptRoot '../.build/xenlab/lab' }
    $script:lab = if (Test-Path -LiteralPath (Join-Path $labFolder 'lab.json')) { Get-Content -LiteralPath (Join-Path $labFolder 'lab.json') -Raw | ConvertFrom-Json } else { $null }

    # A PV guest of the test guest's kernel and initrd on the lab: the PV console is hvc0 and
    # Xen has no user-mode network (vifs need a bridge), so no NIC.
    function New-XenGuest([string] $Name, [hashtable] $Extra = @{}) {
        $property = @{
            vm_type              = 'xen'
            xen_guest_type       = 'pv'
            xen_host             = $lab.xenHost
            xen_host_key         = $lab.keyPath
            xen_host_known_hosts = $lab.knownHostsPath
            xen_host_key_policy  = 'strict'
            kernel_params        = 'console=hvc0 panic=-1 quiet virttest.nonet=1'
            nics                 = ''
            login_timeout        = '240'
        }
        foreach ($k in $Extra.Keys) { $property[$k] = $Extra[$k] }
        New-VirtVm -TestGuest -Name $Name -MemoryMB 128 -Property $property
    }

    # xl on the lab's dom0, through the OpenSSH client (what an admin would type).
    function Invoke-LabXl([string[]] $Arguments) {
        $sshArgs = @('-i', $lab.keyPath, '-p', "$($lab.sshPort)", '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes',
            '-o', "UserKnownHostsFile=$($lab.knownHostsPath)", '-o', 'LogLevel=ERROR', "root@$($lab.host)", 'xl') + $Arguments
        $out = @(& ssh @sshArgs 2>&1 | ForEach-Object { "$_" })
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $out -join "`n" }
    }
}

Describe 'A Xen PV guest on the lab, through the cmdlets' -Tag 'Xen', 'Guest' {
    BeforeAll {
        $script:vm = $null
        $script:session = $null
        if ($lab) { $script:vm = New-XenGuest 'xen-life' }
    }

    AfterAll {
        if ($session) { Disconnect-VirtSession -Session $session }
        if ($vm) { Remove-VirtVm -Vm $vm -Confirm:$false }
    }

    It 'starts, waits for the console ready line and answers on its serial console' -Skip:([bool]$noLab) {
        $vm | Start-VirtVm -Wait -TimeoutSec 240
        $script:session = Wait-VirtLogin -Vm $vm
        (Invoke-VirtSessionCommand -Session $session -Command 'cat /sys/hypervisor/type').Output.Trim() | Should -Be 'xen'
        (Invoke-VirtSessionCommand -Session $session -Command 'echo alive').Output.Trim() | Should -Be 'alive'
        (Get-VirtVm -Name $vm.Name -Refresh).State | Should -Be Running
        (Invoke-LabXl @('list')).Output | Should -Match 'vt-xen-life-[0-9a-f]{8}\s'
    }

    It 'pauses and resumes, and the state is what xl reports' -Skip:([bool]$noLab) {
        Suspend-VirtVm -Vm $vm
        (Get-VirtVm -Name $vm.Name -Refresh).State | Should -Be Paused
        (Invoke-LabXl @('list')).Output | Should -Match 'vt-xen-life-[0-9a-f]{8}\s.*\s--p---\s'
        Resume-VirtVm -Vm $vm
        (Get-VirtVm -Name $vm.Name -Refresh).State | Should -Be Running
        (Invoke-VirtSessionCommand -Session $session -Command 'echo still').Output.Trim() | Should -Be 'still'
    }

    It 'has the capabilities the hypervisor showed, and refuses the others by capability' -Skip:([bool]$noLab) {
        # What the steps above and below did for real: SerialConsole, Pause, Powerdown; PciInfo lists (no devices).
        foreach ($capability in 'SerialConsole', 'Pause', 'Powerdown', 'PciInfo') {
            (Get-VirtCapability -Vm $vm -Name $capability).Supported | Should -BeTrue -Because "$capability was used on the real hypervisor"
        }
        @(Get-VirtPciInfo -Vm $vm).Count | Should -Be 0
        foreach ($capability in 'Screendump', 'Reset', 'RawMonitor', 'PciHotplug') {
            (Get-VirtCapability -Vm $vm -Name $capability).Supported | Should -BeFalse
        }
        $shot = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-xen-$PID.png"
        { Save-VirtScreenshot -Vm $vm -Path $shot -ErrorAction Stop } | Should -Throw -ErrorId 'VirtTest.NotSupportedByBackend*'
        Test-Path -LiteralPath $shot | Should -BeFalse
    }

    It 'stops gracefully when the guest powers off on request' -Skip:([bool]$noLab) {
        # The test guest's /init sets the kernel's poweroff_cmd, which Xen's request runs.
        (Invoke-VirtSessionCommand -Session $session -Command 'cat /proc/sys/kernel/poweroff_cmd').Output.Trim() | Should -Be '/bin/busybox poweroff -f'
        Disconnect-VirtSession -Session $session
        $script:session = $null
        Stop-VirtVm -Vm $vm -TimeoutSec 120 -Confirm:$false
        $vm.State | Should -BeIn 'Stopped', 'Dead'
        (Invoke-LabXl @('list')).Output | Should -Not -Match 'vt-xen-life-'
    }
}

Describe 'Stop-VirtVm on a Xen guest that ignores the request' -Tag 'Xen', 'Guest' {
    BeforeAll {
        $script:vm = $null
        if ($lab) { $script:vm = New-XenGuest 'xen-force' }
    }

    AfterAll {
        if ($vm) { Remove-VirtVm -Vm $vm -Confirm:$false }
    }

    It 'destroys it after the timeout, leaving nothing in xl list' -Skip:([bool]$noLab) {
        # Paused from creation on, the guest cannot answer the shutdown request.
        $vm | Start-VirtVm -Paused
        (Get-VirtVm -Name $vm.Name -Refresh).State | Should -Be Paused
        Stop-VirtVm -Vm $vm -TimeoutSec 3 -Confirm:$false
        $vm.State | Should -BeIn 'Stopped', 'Dead'
        (Invoke-LabXl @('list')).Output | Should -Not -Match 'vt-xen-force-'
    }
}

Describe 'A test run on the Xen lab (Invoke-VirtTestRun)' -Tag 'Xen', 'Guest' {
    BeforeAll {
        $script:results = @()
        $script:dir = Join-Path ([System.IO.Path]::GetTempPath()) ("vt-xen-run-" + [guid]::NewGuid().ToString('N'))
        if (-not $lab) { return }
        $null = New-Item -ItemType Directory -Path $dir
        # The test guest on the lab as a PV guest; both tests run on the one VM the runner keeps.
        Set-Content -LiteralPath (Join-Path $dir 'run.cfg') -Value @"
vms = vm1
test_guest = yes
vm_type = xen
xen_guest_type = pv
xen_host = $($lab.xenHost)
xen_host_key = $($lab.keyPath)
xen_host_known_hosts = $($lab.knownHostsPath)
xen_host_key_policy = strict
kernel_params = console=hvc0 panic=-1 quiet virttest.nonet=1
nics =
mem = 128
start_vm = yes
login_timeout = 240
test_timeout = 300
variants:
    - on_xen:
        type = on_xen
    - also_on_xen:
        type = on_xen
"@
        Set-Content -LiteralPath (Join-Path $dir 'on_xen.ps1') -Value @'
param($Session, $Vm)
$type = (Invoke-VirtSessionCommand -Session $Session -Command 'cat /sys/hypervisor/type' -ErrorAction Stop).Output.Trim()
if ($type -ne 'xen') { throw "the guest runs on '$type', not on Xen" }
if ($Vm.BackendName -ne 'xen') { throw "backend $($Vm.BackendName)" }
'@
        $script:results = @(Invoke-VirtTestRun -Path (Join-Path $dir 'run.cfg') -TestPath $dir -OutputPath (Join-Path $dir 'results') -Jobs 1)
    }
    AfterAll { if (Test-Path -LiteralPath $dir) { Remove-Item -LiteralPath $dir -Recurse -Force } }

    It 'runs its tests in a PV guest of the real hypervisor and leaves no domain behind' -Skip:([bool]$noLab) {
        $results.Count | Should -Be 2
        foreach ($r in $results) { $r.Status | Should -Be Pass -Because "$($r.ShortName): $($r.Reason)" }
        (Invoke-LabXl @('list')).Output | Should -Not -Match 'vt-vm1-'
    }
}

Describe 'Bad input for the Xen backend, on the lab' -Tag 'Xen' {
    AfterEach {
        Get-VirtVm | Where-Object Name -Like 'xen-bad-*' | Remove-VirtVm -Confirm:$false
    }

    It 'an unreachable Xen host is a VirtTest.XenHost error naming it' -Skip:([bool]$noLab) {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
        $vm = New-XenGuest 'xen-bad-host' @{ xen_host = "root@127.0.0.1:$port"; xen_host_timeout = '3'; xen_host_known_hosts = ''; xen_host_key_policy = 'accept-new' }
        $vm | Start-VirtVm -ErrorAction SilentlyContinue -ErrorVariable err
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.XenHost,*'
        $err[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $err[0].Exception.Message | Should -BeLike "*root@127.0.0.1:$port*"
    }

    It 'a refused login is a VirtTest.XenHostAuthentication error without the password' -Skip:([bool]$noLab) {
        $vm = New-XenGuest 'xen-bad-login' @{ xen_host_key = ''; xen_host_password = 'Not-The-Pw-5521' }
        $vm | Start-VirtVm -ErrorAction SilentlyContinue -ErrorVariable err
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.XenHostAuthentication,*'
        $err[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err[0].Exception.Message | Should -BeLike "*$($lab.xenHost)*"
        $err[0].Exception.ToString() | Should -Not -BeLike '*Not-The-Pw-5521*'
    }

    It 'a config xl rejects is a VirtTest.XenToolstack error with the host and xl''s message' -Skip:([bool]$noLab) {
        # More virtual CPUs than libxl allows: xl create refuses the config.
        $vm = New-XenGuest 'xen-bad-cfg' @{ smp = '4096' }
        $vm | Start-VirtVm -ErrorAction SilentlyContinue -ErrorVariable err
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.XenToolstack,*'
        $err[0].Exception.Message | Should -BeLike "*'xl create -p -f /var/tmp/virttest/vt-xen-bad-cfg-*' on $($lab.xenHost) failed with exit code*"
        $err[0].Exception.Message | Should -BeLike '*too many VCPUS*'
        $err[0].Exception.Stderr | Should -BeLike '*libxl: error:*' 
        $vm.State | Should -Not -Be 'Running'
        (Invoke-LabXl @('list')).Output | Should -Not -Match 'vt-xen-bad-cfg-'
    }
}
