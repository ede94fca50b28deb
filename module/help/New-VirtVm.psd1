# Help source for New-VirtVm (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every VM an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Creates virtual machines from test parameters, from a few values, or for the test guest.'

    Description = @(
        'New-VirtVm defines virtual machines and adds them to the VMs of this PowerShell session, where Get-VirtVm finds them by name. It does not start them: use Start-VirtVm. Each new VM is written to the pipeline as a VirtualMachine object in the Created state.'
        'With -Params (a VirtParams from Expand-VirtConfig, also from the pipeline) one VM is created for each name in the vms param of the test (main_vm, or vm1, when vms is empty). Each VM gets the test''s params with its own suffixed keys folded in: mem_vm2 = 512 sets mem for vm2 only. -VmName creates only some of the VMs.'
        'With -Name and the memory, CPU and kernel parameters, a VM is created ad hoc from those values. With -TestGuest, the VM boots the small Linux guest built by build.ps1 -Task Guest (found through $env:VIRTTEST_TEST_GUEST, else the .build/guest folder of the repository); its params set ready_pattern, so Start-VirtVm -Wait waits until the guest''s shell is ready. -Property adds or replaces params in both cases.'
        'The params are checked against the backend chosen by vm_type (default qemu) when the VM is created, not when it starts: for QEMU, machine types, network and block device models and VGA types are checked against what the QEMU binary offers, and kernel, initrd and image files must exist. A value the backend cannot use is a non-terminating error with the id VirtTest.VmParam (category InvalidArgument) whose message names the param and, where there is a fixed set, lists the valid choices. A name that is already used in the session is a non-terminating error with the id VirtTest.Vm.'
    )

    Parameters  = @{
        Params       = 'Specifies the parameters of a test, usually a VirtParams written by Expand-VirtConfig. One VM is created for each name in its vms param; keys with a VM name suffix (for example mem_vm2) apply to that VM only.'
        VmName       = 'With -Params, creates only the VMs with these names (from the vms param) instead of all of them.'
        Name         = 'Specifies the name of the new VM in this session, for ad hoc VMs and with -TestGuest (default vm1). Names are unique within the session, ignoring case; remove a VM with Remove-VirtVm before reusing its name.'
        MemoryMB     = 'Specifies the memory of the VM in MiB (the mem param). The default is 512, the one default for a VM whose params set no mem.'
        Cpu          = 'Specifies the number of virtual CPUs (the smp param). The default is 1.'
        Kernel       = 'Specifies a Linux kernel image that the hypervisor boots directly (the kernel param), instead of booting from a disk image. PowerShell paths are resolved; the file must exist.'
        Initrd       = 'Specifies the initial ramdisk that goes with -Kernel (the initrd param). PowerShell paths are resolved; the file must exist.'
        KernelParams = 'Specifies the kernel command line for -Kernel (the kernel_params param), for example ''console=ttyS0''.'
        TestGuest    = 'Creates a VM that boots the project''s test guest (a Debian cloud kernel with a busybox initramfs), with a serial console, a virtio network card and params for Start-VirtVm -Wait. Build the guest first with build.ps1 -Task Guest; when it cannot be found, New-VirtVm stops with a VirtTest.FileNotFound error.'
        LoginPrompt  = 'With -TestGuest, boots the guest so that its serial console asks for a login (user root, password Guest-Pw-4711, from the guest''s manifest) instead of starting a shell, so that the login path of Connect-VirtSession and Wait-VirtLogin is exercised.'
        Property     = 'Specifies further params as a hashtable of name = value pairs, for example @{ vga = ''none''; nic_model = ''e1000'' }. They are added to the generated params or replace them; the values are converted to strings.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Config.VirtParams'; Description = 'The parameters of a test, from Expand-VirtConfig.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'One object per VM created, in the Created state. Its Params property holds the VM''s own params.' }
    )

    Notes       = @(
        'The VMs of a session belong to the PowerShell process: every VM still running is killed when the process exits. Remove VMs with Remove-VirtVm when you are done with them.'
    )

    Examples    = @(
        @{
            Title   = 'Create a VM for the test guest'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name demo -MemoryMB 256
$vm | Format-List Name, State, BackendName, MemoryMB, Cpu
Remove-VirtVm -Vm $vm
'@
            Remarks = 'Creates (without starting) a VM that boots the test guest, shows some of its properties and removes it again.'
        }
        @{
            Title   = 'One VM per name in the vms param'
            Code    = @'
$test = Expand-VirtConfig -Text @"
vms = vm1 vm2
mem = 256
mem_vm2 = 512
"@
$test | New-VirtVm | Select-Object Name, MemoryMB, State
Get-VirtVm -Name vm1, vm2 | Remove-VirtVm
'@
            Remarks = 'The test defines two VMs; mem_vm2 gives the second one more memory. New-VirtVm creates both, and Remove-VirtVm removes them.'
        }
        @{
            Title   = 'An ad hoc VM that boots a kernel directly'
            Code    = @'
$vm = New-VirtVm -Name adhoc -MemoryMB 128 -Cpu 2 -Kernel ./.build/guest/vmlinuz -Initrd ./.build/guest/initrd.img -KernelParams 'console=ttyS0 quiet' -Property @{ vga = 'none' }
$vm.Params['kernel'], $vm.Params['vga']
Remove-VirtVm $vm
'@
            Remarks = 'Creates a VM from a few values without a config file; -Property sets a param that has no parameter of its own. The kernel and initrd are the ones of the test guest, built into .build/guest by build.ps1 -Task Guest.'
        }
        @{
            Title   = 'See what would be created'
            Code    = 'New-VirtVm -TestGuest -Name preview -WhatIf'
            Remarks = 'With -WhatIf nothing is created: Get-VirtVm preview afterwards finds no VM.'
        }
    )

    RelatedLinks = @('Start-VirtVm', 'Get-VirtVm', 'Remove-VirtVm', 'Get-VirtCapability', 'Expand-VirtConfig', 'about_VirtTest')
}
