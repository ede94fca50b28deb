# Help source for Get-VirtCapability (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Gets what a virtual machine, or a VM not created yet, can do.'

    Description = @(
        'Get-VirtCapability writes one VirtCapabilityInfo object per capability (PciInfo, PciHotplug, Screendump, SendKey, Mouse, Pause, Reset, Powerdown, Migration, MigrationWithDiskCopy, SerialConsole, RawMonitor, Events), saying whether the VM''s backend supports it for that VM. What a VM supports can depend on its params: a VM with vga = none cannot take screenshots, one with machine_type = microvm cannot hot-plug PCI devices.'
        'With -Vm it describes an existing VM. With -Params it describes the main VM of a test before any VM is created, choosing the backend by the vm_type param (default qemu), so a test can skip itself when something it needs is not supported. An unknown vm_type is a VirtTest.VmParam error.'
        'An operation outside a VM''s capabilities is never silently skipped: the cmdlet that would carry it out fails with a VirtTest.NotSupportedByBackend error.'
    )

    Parameters  = @{
        Vm     = 'Specifies the VM to describe, as an object from New-VirtVm or Get-VirtVm. Accepts a VM from the pipeline.'
        Params = 'Specifies the params of a test (a VirtParams from Expand-VirtConfig) whose main VM to describe without creating it. Accepts VirtParams from the pipeline.'
        Name   = 'Writes only these capabilities, for example Screendump, Migration. Tab completion offers the names.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'A VM from New-VirtVm or Get-VirtVm.' }
        @{ Type = 'VirtTest.Core.Config.VirtParams'; Description = 'Test params from Expand-VirtConfig.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.PowerShell.Cmdlets.VirtCapabilityInfo'; Description = 'One object per capability: Target (the VM name), Backend, Capability and Supported.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'What a test without a display cannot do'
            Code    = @'
Expand-VirtConfig -Text 'vga = none' | Get-VirtCapability | Where-Object { -not $_.Supported }
'@
            Remarks = 'Describes the VM of a test before creating it: without a VGA card, Screendump is not supported.'
        }
        @{
            Title   = 'Check capabilities of a VM before using them'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name caps
Get-VirtCapability $vm -Name Screendump, Migration, PciHotplug
if ((Get-VirtCapability -Vm $vm -Name Migration).Supported) { 'this VM can be live-migrated' }
Remove-VirtVm $vm
'@
            Remarks = 'Lists three capabilities of the test guest VM and tests one of them.'
        }
    )

    RelatedLinks = @('New-VirtVm', 'Save-VirtScreenshot', 'Move-VirtVm', 'Add-VirtPciDevice', 'about_VirtTest')
}
