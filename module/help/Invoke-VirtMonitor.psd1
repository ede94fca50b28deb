# Help source for Invoke-VirtMonitor (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Sends a raw command to the monitor of a running virtual machine.'

    Description = @(
        'Invoke-VirtMonitor is the escape hatch for what the other cmdlets do not cover. With -Command it sends one machine-protocol command (QMP for QEMU) by name, with the arguments of -Arguments, and writes the answer converted to PowerShell objects as ConvertFrom-Json would: a JSON object becomes a PSCustomObject, an array is written element by element. With -Human it sends a human monitor command line, such as ''info pci'', and writes the text of the answer.'
        'An error answer of the monitor is a non-terminating error whose id is VirtTest.MonitorCommand.<class>, where <class> is the monitor''s own error class (for QMP, for example GenericError or CommandNotFound). No answer within -TimeoutSec is a VirtTest.MonitorTimeout error. The VM must be running or paused (otherwise a VirtTest.VmState error).'
        'Prefer the typed cmdlets (Get-VirtPciInfo, Add-VirtPciDevice, Suspend-VirtVm, ...) where they exist: they work with every backend, while monitor commands are specific to one hypervisor.'
    )

    Parameters  = @{
        Vm         = 'Specifies the VM whose monitor receives the command. Accepts a VM from the pipeline.'
        Command    = 'Specifies the machine-protocol command by name, for example query-status or query-pci (for QEMU, a QMP command).'
        Arguments  = 'Specifies the arguments of -Command as a hashtable; nested hashtables and arrays become JSON objects and arrays, for example @{ path = ''/machine''; property = ''type'' }.'
        Human      = 'Specifies a human monitor command line, for example ''info pci'' or ''info status''. The answer is written as one string.'
        TimeoutSec = 'Specifies how many seconds to wait for the answer. The default is 30.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'The VM to send the command to.' }
    )

    Outputs     = @(
        @{ Type = 'System.Management.Automation.PSObject'; Description = 'With -Command, the answer as PowerShell objects (PSCustomObject, arrays, strings, numbers, booleans).' }
        @{ Type = 'System.String'; Description = 'With -Human, the text of the answer.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Query the run state and the PCI devices'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name mon
Start-VirtVm $vm
Invoke-VirtMonitor $vm query-status
Invoke-VirtMonitor $vm -Human 'info pci'
Remove-VirtVm $vm
'@
            Remarks = 'query-status answers with an object whose running property is True; info pci answers with the text QEMU''s human monitor prints.'
        }
        @{
            Title   = 'A command with arguments'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name qom
Start-VirtVm $vm -Paused
Invoke-VirtMonitor -Vm $vm -Command qom-get -Arguments @{ path = '/machine'; property = 'type' } -TimeoutSec 10
Remove-VirtVm $vm
'@
            Remarks = 'Reads a property of the QEMU object model: the machine type the VM runs with.'
        }
    )

    RelatedLinks = @('Get-VirtPciInfo', 'Wait-VirtVmEvent', 'Get-VirtCapability', 'about_VirtTest')
}
