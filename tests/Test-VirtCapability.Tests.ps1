# Pester tests for Test-VirtCapability (and Get-VirtCapability -Params with other backends).
# Nothing here needs a hypervisor: capabilities come from params, and the Xen VM below is only
# created and started against a missing xl (no Xen host exists where these tests run).
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force

    function New-TestParams([string] $Text) {
        Expand-VirtConfig -Text $Text | Select-Object -First 1
    }
}

Describe 'Test-VirtCapability -Params (no VM, no Xen host)' {
    It 'says a Xen PV guest can pass host PCI devices through but not hot-plug emulated ones, and has no screendump and no reset' {
        $pv = New-TestParams "vm_type = xen`nxen_guest_type = pv"
        Test-VirtCapability -Params $pv -Name PciPassthrough | Should -BeTrue
        Test-VirtCapability -Params $pv -Name PciHotplug | Should -BeFalse
        Test-VirtCapability -Params $pv -Name Screendump | Should -BeFalse
        Test-VirtCapability -Params $pv -Name Reset | Should -BeFalse
        Test-VirtCapability -Params $pv -Name MigrationWithDiskCopy | Should -BeFalse
    }

    It 'says a Xen HVM guest (also the default guest type) can be reset' {
        Test-VirtCapability -Params (New-TestParams "vm_type = xen`nxen_guest_type = hvm") -Name Reset | Should -BeTrue
        Test-VirtCapability -Params (New-TestParams 'vm_type = xen') -Name Reset | Should -BeTrue
    }

    It 'is true only when every named capability is supported' {
        $pv = New-TestParams "vm_type = xen`nxen_guest_type = pv"
        Test-VirtCapability -Params $pv -Name PciPassthrough, Migration, Pause | Should -BeTrue
        Test-VirtCapability -Params $pv -Name PciPassthrough, Screendump | Should -BeFalse
    }

    It 'follows the params of the qemu backend too (vga = none: no screendump)' {
        Test-VirtCapability -Params (New-TestParams 'vga = std') -Name Screendump | Should -BeTrue
        Test-VirtCapability -Params (New-TestParams 'vga = none') -Name Screendump | Should -BeFalse
    }

    It 'writes one Boolean per params object from the pipeline' {
        $all = @(Expand-VirtConfig -Text "vm_type = xen`nvariants:`n  - pv:`n    xen_guest_type = pv`n  - hvm:`n    xen_guest_type = hvm`n")
        $all.Count | Should -Be 2
        $answers = @($all | Test-VirtCapability -Name Reset)
        $answers.Count | Should -Be 2
        $answers | Should -Be @($false, $true)
        $answers[0] | Should -BeOfType ([bool])
        @($all | Test-VirtCapability Reset) | Should -Be @($false, $true)   # -Name by position after pipeline input
    }

    It 'fails with VirtTest.VmParam naming the VM and the choices for an unknown guest type' {
        $p = New-TestParams "vms = guest1`nvm_type = xen`nxen_guest_type = pvhvm"
        $result = Test-VirtCapability -Params $p -Name Pause -ErrorVariable err -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmParam,*'
        $err[0].Exception.Message | Should -BeLike "*VM 'guest1'*xen_guest_type*pvhvm*hvm, pv, pvh*"
    }

    It 'fails with VirtTest.VmParam for an unknown vm_type, listing the backends' {
        Test-VirtCapability -Params (New-TestParams 'vm_type = bochs') -Name Pause -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmParam,*'
        $err[0].Exception.Message | Should -BeLike '*qemu*xen*'
    }

    It 'has a mandatory -Name' {
        (Get-Command Test-VirtCapability).Parameters['Name'].Attributes.Where({ $_ -is [System.Management.Automation.ParameterAttribute] }).Mandatory | Should -Contain $true
    }
}

Describe 'Get-VirtCapability -Params with the xen backend' {
    It 'reports backend xen and the PV guest''s set' {
        $caps = @(New-TestParams "vm_type = xen`nxen_guest_type = pv" | Get-VirtCapability)
        ($caps.Backend | Sort-Object -Unique) | Should -Be 'xen'
        ($caps | Where-Object Capability -EQ 'Screendump').Supported | Should -BeFalse
        ($caps | Where-Object Capability -EQ 'PciHotplug').Supported | Should -BeFalse
        ($caps | Where-Object Capability -EQ 'PciPassthrough').Supported | Should -BeTrue
        ($caps | Where-Object Capability -EQ 'Reset').Supported | Should -BeFalse
    }
}

Describe 'A Xen VM on a host without xl' {
    BeforeAll {
        $script:hasXl = [bool](Get-Command xl -CommandType Application -ErrorAction Ignore)
    }
    AfterAll {
        Get-VirtVm -Name 'xen-noxl' -ErrorAction SilentlyContinue | Remove-VirtVm -Confirm:$false
    }

    It 'is created, answers capability questions, and fails to start with VirtTest.XenToolstackNotFound' {
        if ($hasXl) { Set-ItResult -Skipped -Because 'xl is installed here: this test is about a host without it' }
        $vm = New-VirtVm -Params (New-TestParams "vms = xen-noxl`nvm_type = xen`nxen_guest_type = hvm")
        $vm.BackendName | Should -Be 'xen'
        Test-VirtCapability $vm -Name Reset, PciPassthrough | Should -BeTrue
        Test-VirtCapability -Vm $vm -Name Screendump | Should -BeFalse
        $vm | Start-VirtVm -ErrorVariable err -ErrorAction SilentlyContinue
        $err.Count | Should -Be 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.XenToolstackNotFound,*'
        $err[0].CategoryInfo.Category | Should -Be 'NotInstalled'
        $err[0].Exception.Message | Should -BeLike '*xl*not found on PATH*apt-get install xen-utils*'
        $vm.State | Should -Not -Be 'Running'
        Save-VirtScreenshot $vm -Path (Join-Path ([IO.Path]::GetTempPath()) 'never.png') -ErrorVariable shotErr -ErrorAction SilentlyContinue
        $shotErr[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.NotSupportedByBackend,*'
    }
}

Describe 'Test-VirtCapability -Vm' -Tag 'Guest' {
    AfterAll {
        Get-VirtVm -Name 'tcap-vm' -ErrorAction SilentlyContinue | Remove-VirtVm -Confirm:$false
    }

    It 'answers for an existing QEMU VM, by position and from the pipeline' {
        $vm = New-VirtVm -TestGuest -Name tcap-vm
        Test-VirtCapability $vm PciHotplug, Migration | Should -BeTrue
        $vm | Test-VirtCapability -Name Screendump | Should -BeTrue
        $vm | Test-VirtCapability Screendump | Should -BeTrue
    }
}
