# Help source for Test-VirtCapability (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Tests whether a virtual machine, or a VM not created yet, supports the named capabilities.'

    Description = @(
        'Test-VirtCapability writes $true when the VM supports every capability given to -Name (PciInfo, PciHotplug, Screendump, SendKey, Mouse, Pause, Reset, Powerdown, Migration, MigrationWithDiskCopy, SerialConsole, RawMonitor, Events), and $false when it lacks at least one. It writes one Boolean per VM or params object.'
        'With -Params it answers for the main VM of a test before any VM is created: the backend is chosen by the vm_type param (qemu, xen, or any other registered backend; default qemu), and the answer can depend on other params, for example xen_guest_type = pv or hvm, vga = none, machine_type = microvm. An unknown vm_type or xen_guest_type is a VirtTest.VmParam error.'
        'It is made for Pester: It ''hot-plugs a NIC'' -Skip:(-not (Test-VirtCapability -Params $p -Name PciHotplug)) { ... } marks the test as skipped instead of failing it on a backend that cannot do the operation. The cmdlet that carries out an unsupported operation fails with a VirtTest.NotSupportedByBackend error, never silently.'
    )

    Parameters  = @{
        Vm     = 'Specifies the VM to test, as an object from New-VirtVm or Get-VirtVm. Accepts a VM from the pipeline.'
        Params = 'Specifies the params of a test (a VirtParams from Expand-VirtConfig) whose main VM to test without creating it. Accepts VirtParams from the pipeline.'
        Name   = 'Specifies the capabilities that must all be supported. Tab completion offers the names.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'A VM from New-VirtVm or Get-VirtVm.' }
        @{ Type = 'VirtTest.Core.Config.VirtParams'; Description = 'Test params from Expand-VirtConfig.' }
    )

    Outputs     = @(
        @{ Type = 'System.Boolean'; Description = '$true when every named capability is supported, else $false.' }
    )

    Notes       = @(
        'Get-VirtCapability lists every capability with its support; the README has a table of all backends, generated from the same capability sets.'
    )

    Examples    = @(
        @{
            Title   = 'A Xen PV guest cannot be reset, an HVM guest can'
            Code    = @'
Expand-VirtConfig -Text "vm_type = xen`nxen_guest_type = pv" | Test-VirtCapability -Name Reset
Expand-VirtConfig -Text "vm_type = xen`nxen_guest_type = hvm" | Test-VirtCapability -Name Reset, PciHotplug
'@
            Remarks = 'Writes False, then True: xl can send a reset trigger to HVM domains only. No VM is created and no Xen host is needed.'
        }
        @{
            Title   = 'Skip a Pester test the backend cannot run'
            Code    = @'
$params = Expand-VirtConfig -Text 'vga = none' | Select-Object -First 1
$canScreenshot = Test-VirtCapability -Params $params -Name Screendump
"Screenshot test runs: $canScreenshot"   # in a spec: It 'saves a screenshot' -Skip:(-not $canScreenshot) { ... }
'@
            Remarks = 'A QEMU VM without a VGA card cannot take screenshots, so the test would be skipped.'
        }
        @{
            Title   = 'Test a VM that exists'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name tcap
Test-VirtCapability $vm -Name PciHotplug, Migration
Remove-VirtVm $vm
'@
            Remarks = 'The test guest runs under QEMU, which supports both.'
        }
    )

    RelatedLinks = @('Get-VirtCapability', 'New-VirtVm', 'Expand-VirtConfig', 'about_VirtTest')
}
