# Pester tests for New-VirtVm, Get-VirtVm, Remove-VirtVm, Get-VirtCapability -Params and the
# VM / capability table views. Nothing here boots a guest (the VMs are only created), but
# creating a VM probes the QEMU binary and -TestGuest needs the built test guest.
# Run through build.ps1 -Task Test, which sets VIRTTEST_MODULE_PATH (fallback ./out/VirtTest).

BeforeAll {
    $modulePath = if ($env:VIRTTEST_MODULE_PATH) { $env:VIRTTEST_MODULE_PATH } else { Join-Path $PSScriptRoot '../out/VirtTest' }
    Import-Module -Name $modulePath -Force
    $script:GuestDir = [VirtTest.Core.Vm.TestGuest]::Locate().Directory

    # Removes the named VMs if they exist (AfterAll of every Describe: also after failures).
    function Remove-TestVm([string[]] $Name) {
        Get-VirtVm -Name $Name -ErrorAction SilentlyContinue | Remove-VirtVm -Confirm:$false
    }
}

Describe 'New-VirtVm' {
    AfterAll {
        Remove-TestVm 'vm1', 'vm2', 'nv-*'
    }

    Context 'From a params object' {
        BeforeAll {
            $script:testParams = Expand-VirtConfig -Text "vms = vm1 vm2`nmem = 256`nmem_vm2 = 512`nsmp_vm1 = 2`n"
        }
        AfterEach {
            Remove-TestVm 'vm1', 'vm2'
        }

        It 'creates one VM per name in vms, with the suffixed params folded in' {
            $vms = @(New-VirtVm -Params $testParams)
            $vms.Count | Should -Be 2
            $vms[0] | Should -BeOfType ([VirtTest.Core.Vm.VirtualMachine])
            $vms.Name | Should -Be 'vm1', 'vm2'
            $vms[0].MemoryMB | Should -Be 256
            $vms[1].MemoryMB | Should -Be 512
            $vms[0].Cpu | Should -Be 2
            $vms[1].Cpu | Should -Be 1
            foreach ($vm in $vms) {
                $vm.State | Should -Be 'Created'
                $vm.BackendName | Should -Be 'qemu'
                $vm.ProcessId | Should -BeNullOrEmpty
                $vm.MigrationCount | Should -Be 0
            }
        }

        It 'takes the params from the pipeline and adds the VMs to the session' {
            $testParams | New-VirtVm | Out-Null
            @(Get-VirtVm -Name vm1, vm2).Count | Should -Be 2
            (Get-VirtVm -Name vm2).MemoryMB | Should -Be 512
        }

        It 'creates only the VMs named by -VmName' {
            $vms = @(New-VirtVm -Params $testParams -VmName vm2)
            $vms.Name | Should -Be 'vm2'
            Get-VirtVm -Name vm1 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
    }

    Context 'Ad hoc and -TestGuest' {
        It 'creates an ad hoc VM from the given values and resolves PowerShell paths' {
            Push-Location -LiteralPath $GuestDir
            try {
                $vm = New-VirtVm -Name nv-adhoc -MemoryMB 128 -Cpu 2 -Kernel ./vmlinuz -Initrd ./initrd.img -KernelParams 'console=ttyS0 quiet' -Property @{ vga = 'none'; smp = 3 }
            }
            finally {
                Pop-Location
            }
            $vm.Name | Should -Be 'nv-adhoc'
            $vm.State | Should -Be 'Created'
            $vm.MemoryMB | Should -Be 128
            $vm.Cpu | Should -Be 3 -Because '-Property replaces generated params'
            $vm.Params['kernel'] | Should -Be (Join-Path $GuestDir 'vmlinuz')
            $vm.Params['initrd'] | Should -Be (Join-Path $GuestDir 'initrd.img')
            $vm.Params['kernel_params'] | Should -Be 'console=ttyS0 quiet'
            $vm.Params['vga'] | Should -Be 'none'
            $vm.Supports([VirtTest.Core.Vm.VmCapability]::Screendump) | Should -BeFalse
            [object]::ReferenceEquals((Get-VirtVm -Name nv-adhoc), $vm) | Should -BeTrue
        }

        It 'creates a test guest VM whose params Start-VirtVm -Wait can use' {
            $vm = New-VirtVm -TestGuest -Name nv-guest -MemoryMB 192
            $vm.MemoryMB | Should -Be 192
            $vm.Params['kernel'] | Should -Be (Join-Path $GuestDir 'vmlinuz')
            $vm.Params['ready_pattern'] | Should -Not -BeNullOrEmpty
            'VIRTTEST-GUEST-READY' | Should -Match $vm.Params['ready_pattern']
            $vm.SerialConsolePath | Should -BeNullOrEmpty -Because 'the VM does not run'
        }

        It 'creates nothing with -WhatIf' {
            $out = New-VirtVm -TestGuest -Name nv-whatif -WhatIf
            $out | Should -BeNullOrEmpty
            Get-VirtVm -Name nv-whatif -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
    }

    Context 'Errors' {
        It 'rejects a name that is already used in the session' {
            $first = New-VirtVm -TestGuest -Name nv-dup
            $second = New-VirtVm -TestGuest -Name NV-DUP -ErrorVariable errs -ErrorAction SilentlyContinue
            $second | Should -BeNullOrEmpty
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.Vm,*'
            "$($errs[0])" | Should -Match 'already exists'
            @(Get-VirtVm -Name nv-dup) | Should -Be @($first)
        }

        It 'names the param and lists the valid choices for an impossible nic_model' {
            $p = Expand-VirtConfig -Text "vms = nv-badnic`nnics = nic1`nnic_model = no-such-nic`n"
            $out = New-VirtVm -Params $p -ErrorVariable errs -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $errs.Count | Should -Be 1
            $err = $errs[0]
            $err.FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmParam*'
            $err.CategoryInfo.Category | Should -Be 'InvalidArgument'
            "$err" | Should -Match '\bnic_model\b'
            "$err" | Should -Match 'no-such-nic'
            "$err" | Should -Match 'Valid choices:.*\be1000\b'
            "$err" | Should -Match '\bvirtio-net-pci\b'
            $err.Exception.Param | Should -Be 'nic_model'
            $err.Exception.ValidChoices | Should -Contain 'e1000'
            Get-VirtVm -Name nv-badnic -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }

        It 'names the kernel param for a kernel file that does not exist' {
            $missing = Join-Path $TestDrive 'no-such-vmlinuz'
            $out = New-VirtVm -Name nv-nokernel -Kernel $missing -ErrorVariable errs -ErrorAction SilentlyContinue
            $out | Should -BeNullOrEmpty
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmParam*'
            "$($errs[0])" | Should -Match '\bparam kernel\b'
            "$($errs[0])" | Should -Match ([regex]::Escape('no-such-vmlinuz'))
            Get-VirtVm -Name nv-nokernel -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }

        It 'rejects an unknown vm_type with the known backends' {
            $p = Expand-VirtConfig -Text "vms = nv-badtype`nvm_type = no-such-hypervisor`n"
            $null = New-VirtVm -Params $p -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmParam*'
            "$($errs[0])" | Should -Match 'vm_type'
            "$($errs[0])" | Should -Match '\bqemu\b'
        }

        It 'rejects out-of-range values before doing anything' {
            { New-VirtVm -Name nv-range -MemoryMB 1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,VirtTest.PowerShell.Cmdlets.NewVirtVmCommand'
        }
    }
}

Describe 'Get-VirtVm and Remove-VirtVm' {
    BeforeAll {
        foreach ($n in 'gv-a1', 'gv-a2', 'gv-b1') { $null = New-VirtVm -TestGuest -Name $n }
    }
    AfterAll {
        Remove-TestVm 'gv-*'
    }

    It 'finds VMs by wildcard, ordered by name, ignoring case' {
        $found = @(Get-VirtVm -Name 'GV-A*')
        $found.Name | Should -Be 'gv-a1', 'gv-a2'
        (Get-VirtVm -Name 'gv-?1').Name | Should -Be 'gv-a1', 'gv-b1'
        @(Get-VirtVm | Where-Object Name -like 'gv-*').Count | Should -Be 3
    }

    It 'supports PowerShell character ranges in wildcards' {
        @(Get-VirtVm -Name 'gv-[ab]1' | ForEach-Object Name) | Should -Be 'gv-a1', 'gv-b1'
        @(Get-VirtVm -Name 'gv-a[12]' | ForEach-Object Name) | Should -Be 'gv-a1', 'gv-a2'
    }

    It 'returns the same object New-VirtVm wrote' {
        $vm = New-VirtVm -TestGuest -Name gv-same
        [object]::ReferenceEquals((Get-VirtVm -Name gv-same), $vm) | Should -BeTrue
    }

    It 'takes names from the pipeline' {
        ('gv-a2', 'gv-b1' | Get-VirtVm).Name | Should -Be 'gv-a2', 'gv-b1'
    }

    It 'writes a non-terminating VmNotFound error for a name that matches nothing' {
        $found = @(Get-VirtVm -Name 'gv-missing', 'gv-b1' -ErrorVariable errs -ErrorAction SilentlyContinue)
        $found.Name | Should -Be 'gv-b1'
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmNotFound*'
        $errs[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        "$($errs[0])" | Should -Match 'gv-missing'
    }

    It 'writes no error for a wildcard that matches nothing' {
        $found = @(Get-VirtVm -Name 'gv-zz*' -ErrorVariable errs)
        $found.Count | Should -Be 0
        $errs.Count | Should -Be 0
    }

    It 'keeps the state of VMs that never ran with -Refresh' {
        (Get-VirtVm -Name gv-a1 -Refresh).State | Should -Be 'Created'
    }

    It 'removes nothing with -WhatIf' {
        Remove-VirtVm -Name gv-a2 -WhatIf
        Get-VirtVm -Name gv-a2 | Should -Not -BeNullOrEmpty
    }

    It 'removes VMs by name and by object; the name can then be used again' {
        Remove-VirtVm -Name gv-a2
        Get-VirtVm -Name gv-a2 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        Get-VirtVm -Name gv-b1 | Remove-VirtVm
        Get-VirtVm -Name gv-b1 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $again = New-VirtVm -TestGuest -Name gv-b1
        $again.State | Should -Be 'Created'
    }

    It 'writes VmNotFound when removing a VM that does not exist' {
        Remove-VirtVm -Name gv-never -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmNotFound*'
    }

    It 'shows VMs as a table with memory, CPUs and (for VMs that do not run) no PCI count' {
        $text = Get-VirtVm -Name gv-a1 | Format-Table | Out-String
        $text | Should -Match 'Name\s+State\s+Backend\s+Memory\(MB\)\s+Cpu\s+PCI'
        $text | Should -Match 'gv-a1\s+Created\s+qemu\s+512\s+1\s*(\r?\n|$)'
    }
}

Describe 'Get-VirtCapability -Params' {
    It 'describes the main VM of a test before it exists' {
        $caps = @(Expand-VirtConfig -Text 'vga = none' | Get-VirtCapability)
        $caps.Count | Should -Be ([enum]::GetValues([VirtTest.Core.Vm.VmCapability]).Count - 1)
        $caps[0] | Should -BeOfType ([VirtTest.PowerShell.Cmdlets.VirtCapabilityInfo])
        $caps | ForEach-Object { $_.Backend | Should -Be 'qemu'; $_.Target | Should -Be 'vm1' }
        ($caps | Where-Object Capability -eq 'Screendump').Supported | Should -BeFalse
        ($caps | Where-Object Capability -eq 'Migration').Supported | Should -BeTrue
        ($caps | Where-Object Capability -eq 'PciHotplug').Supported | Should -BeTrue
    }

    It 'depends on the params: a VGA card allows screenshots, microvm has no PCI hot-plug' {
        (Get-VirtCapability -Params (Expand-VirtConfig -Text 'vga = std') -Name Screendump).Supported | Should -BeTrue
        $micro = Get-VirtCapability -Params (Expand-VirtConfig -Text "vms = small`nmachine_type = microvm") -Name PciHotplug
        $micro.Target | Should -Be 'small' -Because 'the target is the (main) VM of the vms param'
        $micro.Supported | Should -BeFalse
    }

    It 'writes only the capabilities of -Name' {
        $caps = @(Get-VirtCapability -Params (Expand-VirtConfig -Text 'mem = 64') -Name Pause, Events)
        $caps.Capability | Should -Be 'Pause', 'Events'
    }

    It 'creates no VM' {
        $before = @(Get-VirtVm).Count
        $null = Expand-VirtConfig -Text 'vms = capcheck' | Get-VirtCapability
        @(Get-VirtVm).Count | Should -Be $before
    }

    It 'writes a VmParam error for an unknown vm_type' {
        $out = Expand-VirtConfig -Text 'vm_type = no-such-hypervisor' | Get-VirtCapability -ErrorVariable errs -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'VirtTest.VmParam*'
    }

    It 'shows capabilities as a table of target, backend, capability and support' {
        $text = Get-VirtCapability -Params (Expand-VirtConfig -Text 'vga = none') -Name Screendump | Format-Table | Out-String
        $text | Should -Match 'Target\s+Backend\s+Capability\s+Supported'
        $text | Should -Match 'vm1\s+qemu\s+Screendump\s+False'
    }
}
