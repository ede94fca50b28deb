# Help source for Get-VirtVm (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Gets the virtual machines of this PowerShell session.'

    Description = @(
        'Get-VirtVm writes the VMs that New-VirtVm created in this PowerShell session (runspace) and that Remove-VirtVm has not removed, ordered by name. Without -Name it writes all of them; with no VMs it writes nothing. VMs belong to the runspace that created them: another runspace (a ForEach-Object -Parallel worker, a test run worker) has VMs of its own, and may use the same names. Inside a test script run by Invoke-VirtTestRun, the runner''s VMs are listed too. Names complete with Tab.'
        'The State of a VM is what the framework last saw. A hypervisor that ended on its own (a crash, a kill from outside, a guest that powered off) is normally noticed at once; -Refresh asks each running VM''s hypervisor for its state first, so such a VM shows as Dead, with the reason in DeathReason.'
        'A name without wildcards that matches no VM is a non-terminating error with the id VirtTest.VmNotFound (category ObjectNotFound). A wildcard pattern that matches nothing is not an error.'
    )

    Parameters  = @{
        Name    = 'Specifies the names of the VMs to get; wildcards are allowed and case is ignored. All VMs when omitted. Accepts strings from the pipeline and binds from the Name property of piped objects.'
        Refresh = 'Asks the hypervisor of each running VM for its current state before writing it, so a VM that died behind the framework''s back shows as Dead.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'VM names or wildcard patterns.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'The matching VMs, ordered by name.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'List VMs by wildcard'
            Code    = @'
$null = New-VirtVm -TestGuest -Name web1
$null = New-VirtVm -TestGuest -Name web2
Get-VirtVm -Name web*
Get-VirtVm web* | Remove-VirtVm
'@
            Remarks = 'Creates two VMs, lists them with a wildcard (as a table of name, state, backend, memory and CPUs) and removes them.'
        }
        @{
            Title   = 'Notice a VM that died'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name fragile
Start-VirtVm $vm
Stop-Process -Id $vm.ProcessId -Force
Start-Sleep -Seconds 1
Get-VirtVm -Name fragile -Refresh | Select-Object Name, State, DeathReason
Remove-VirtVm $vm
'@
            Remarks = 'Kills QEMU from outside the framework; a moment later Get-VirtVm -Refresh shows the VM as Dead and says why (for example: exit code 137, killed by signal 9).'
        }
    )

    RelatedLinks = @('New-VirtVm', 'Remove-VirtVm', 'Start-VirtVm', 'about_VirtTest')
}
