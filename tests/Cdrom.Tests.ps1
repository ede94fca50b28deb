# Pester tests for CD-ROM drives (cdroms, cdrom_<name>, cd_format_<name>) and Get-/Set-VirtCdrom
# on QEMU and on a private libvirtd. The VMs stay paused (never run a guest instruction): the
# drives and their media are checked from the hypervisor's side; the Debian guest reading them
# is examples/realguest (test cdrom).

BeforeDiscovery {
    $backends = @(@{ Backend = 'qemu' }, @{ Backend = 'libvirt' })
}

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    . (Join-Path $PSScriptRoot 'Shared/LibvirtDaemon.ps1')
    $script:work = Join-Path ([IO.Path]::GetTempPath()) "virttest-cdrom-$PID"
    $null = New-Item -ItemType Directory -Force -Path $work
    $script:iso = @{}
    foreach ($n in 'a', 'b') {
        $dir = Join-Path $work $n
        $null = New-Item -ItemType Directory -Path $dir
        Set-Content -LiteralPath (Join-Path $dir 'hello.txt') -Value "cd $n"
        $iso[$n] = Join-Path $work "$n.iso"
        xorriso -as mkisofs -quiet -V "VT_$n" -o $iso[$n] $dir 2>$null
        if ($LASTEXITCODE -ne 0) { throw "xorriso failed ($LASTEXITCODE); install the Debian package xorriso" }
    }
}

AfterAll {
    if (Test-Path -LiteralPath $work) { Remove-Item -LiteralPath $work -Recurse -Force }
}

Describe 'CD-ROM drives on <Backend>' -Tag 'Qemu' -ForEach ($backends | Where-Object Backend -EQ 'qemu') -Fixture ($script:cdromSpec = {
    BeforeAll {
        $script:daemon = $null
        $props = @{ cdroms = 'cd1 cd2'; cdrom_cd1 = $iso['a']; cd_format_cd2 = 'scsi'; vm_type = $Backend }
        if ($Backend -eq 'libvirt') {
            $script:daemon = Start-TestLibvirtDaemon
            $props['connect_uri'] = $daemon.Uri
        }
        $script:vm = New-VirtVm -TestGuest -Name "cd-$Backend-$PID" -Property $props
        Start-VirtVm $vm -Paused
    }

    AfterAll {
        if ($vm) { Remove-VirtVm $vm -Confirm:$false }
        if ($daemon) { Stop-TestLibvirtDaemon $daemon }
    }

    It 'lists the drives of the params: the ISO in cd1, cd2 empty on SCSI' {
        $drives = @(Get-VirtCdrom $vm)
        $drives.Id | Should -Be @('cd1', 'cd2')
        $drives[0].File | Should -Be $iso['a']
        $drives[0].VmName | Should -Be $vm.Name
        $drives[1].HasMedium | Should -BeFalse
        $drives[1].Bus | Should -Be 'scsi'
        (Get-VirtCdrom $vm -Id cd2).Id | Should -Be 'cd2'
        Get-VirtBlockDevice $vm | Where-Object Id -In 'cd1', 'cd2' | Should -BeNullOrEmpty -Because 'the disks listing leaves CD-ROM drives to Get-VirtCdrom'
    }

    It 'ejects, inserts and swaps media' {
        (Set-VirtCdrom $vm -Id cd1 -Eject -PassThru).HasMedium | Should -BeFalse
        (Set-VirtCdrom $vm -Id cd2 -Path $iso['b'] -PassThru).File | Should -Be $iso['b']
        (Set-VirtCdrom $vm -Id cd1 -Path $iso['b'] -PassThru).File | Should -Be $iso['b']
        (Set-VirtCdrom $vm -Id cd2 -Path $iso['a'] -PassThru).File | Should -Be $iso['a']
        (Get-VirtCdrom $vm).File | Should -Be @($iso['b'], $iso['a'])
    }

    It 'changes nothing with -WhatIf and writes nothing without -PassThru' {
        Set-VirtCdrom $vm -Id cd1 -Eject -WhatIf
        (Get-VirtCdrom $vm -Id cd1).File | Should -Be $iso['b']
        Set-VirtCdrom $vm -Id cd1 -Path $iso['a'] | Should -BeNullOrEmpty
        (Get-VirtCdrom $vm -Id cd1).File | Should -Be $iso['a']
    }

    It 'refuses a drive that does not exist, a missing ISO, and neither or both of -Path and -Eject' {
        { Set-VirtCdrom $vm -Id cd9 -Eject -ErrorAction Stop } | Should -Throw -ErrorId 'VirtTest.BlockDeviceNotFound*' -ExpectedMessage '*cd1, cd2*'
        { Set-VirtCdrom $vm -Id cd1 -Path (Join-Path $work 'none.iso') -ErrorAction Stop } | Should -Throw -ErrorId 'VirtTest.ImageNotFound*'
        { Set-VirtCdrom $vm -Id cd1 -ErrorAction Stop } | Should -Throw -ErrorId 'VirtTest.InvalidArgument*'
        { Set-VirtCdrom $vm -Id cd1 -Path $iso['a'] -Eject -ErrorAction Stop } | Should -Throw -ErrorId 'VirtTest.InvalidArgument*'
        { Get-VirtCdrom $vm -Id nope -ErrorAction Stop } | Should -Throw -ErrorId 'VirtTest.BlockDeviceNotFound*'
        (Get-VirtCdrom $vm -Id cd1).File | Should -Be $iso['a']
    }
})

Describe 'CD-ROM drives on <Backend>' -Tag 'Libvirt' -ForEach ($backends | Where-Object Backend -EQ 'libvirt') -Fixture $cdromSpec

Describe 'CD-ROM params' {
    It 'names the param of a missing ISO before anything starts' {
        { New-VirtVm -TestGuest -Name "cd-bad-$PID" -Property @{ cdroms = 'cd1'; cdrom_cd1 = '/nonexistent/x.iso' } -ErrorAction Stop | Start-VirtVm -ErrorAction Stop } |
            Should -Throw -ExpectedMessage '*cdrom_cd1*'
        Get-VirtVm | Where-Object Name -EQ "cd-bad-$PID" | Remove-VirtVm -Confirm:$false
    }

    It 'is not offered on Xen (CdromChange)' {
        Test-VirtCapability -Params (Expand-VirtConfig -Text "vm_type = xen`nxen_guest_type = hvm") -Name CdromChange | Should -BeFalse
        Test-VirtCapability -Params (Expand-VirtConfig -Text 'vm_type = qemu') -Name CdromChange | Should -BeTrue
    }
}
