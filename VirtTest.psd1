@{
    # Binary module: the cmdlets live in lib/VirtTest.PowerShell.dll (built from
    # src/VirtTest.PowerShell), loaded with all its dependencies into a private assembly load
    # context by VirtTest.psm1 (through VirtTest.Loader.dll). build.ps1 assembles the loadable
    # module in out/VirtTest/.
    RootModule           = 'VirtTest.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = 'b5c28e93-f562-4a31-b004-4bd2142f3588'
    Author               = 'VirtTest contributors'
    CompanyName          = 'VirtTest'
    Copyright            = '(c) VirtTest contributors.'
    Description          = 'Virtualization testing: expand Cartesian test configs into parameter dictionaries and drive tests from PowerShell.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')

    # Every cmdlet is listed explicitly (tests/Module.Meta.Tests.ps1 checks this list
    # against the cmdlets in the DLL, both ways).
    CmdletsToExport      = @(
        'Add-VirtDisk'
        'Add-VirtPciDevice'
        'Compare-VirtImage'
        'Complete-VirtBlockJob'
        'Connect-VirtSession'
        'Convert-VirtImage'
        'ConvertTo-VirtYaml'
        'Copy-VirtGuestItem'
        'Disconnect-VirtSession'
        'Enter-VirtTestStep'
        'Exit-VirtTest'
        'Expand-VirtConfig'
        'Get-VirtBlockDevice'
        'Get-VirtBlockJob'
        'Get-VirtCapability'
        'Get-VirtCdrom'
        'Get-VirtImage'
        'Get-VirtImageSnapshot'
        'Get-VirtMediaHash'
        'Get-VirtPciInfo'
        'Get-VirtSession'
        'Get-VirtTestNetwork'
        'Get-VirtTestResult'
        'Get-VirtVm'
        'Get-VirtVmAddress'
        'Invoke-VirtBlockJob'
        'Invoke-VirtMonitor'
        'Invoke-VirtSessionCommand'
        'Invoke-VirtTestJob'
        'Invoke-VirtTestRun'
        'Merge-VirtImage'
        'Move-VirtVm'
        'New-VirtDiskSnapshot'
        'New-VirtImage'
        'New-VirtImageSnapshot'
        'New-VirtTestNetwork'
        'New-VirtVm'
        'Remove-VirtDisk'
        'Remove-VirtImageSnapshot'
        'Remove-VirtPciDevice'
        'Remove-VirtTestNetwork'
        'Remove-VirtVm'
        'Resize-VirtImage'
        'Restart-VirtVm'
        'Restore-VirtImageSnapshot'
        'Resume-VirtVm'
        'Save-VirtScreenshot'
        'Send-VirtSessionInput'
        'Set-VirtCdrom'
        'Set-VirtImage'
        'Start-VirtVm'
        'Stop-VirtBlockJob'
        'Stop-VirtTestRun'
        'Stop-VirtVm'
        'Suspend-VirtVm'
        'Test-VirtCapability'
        'Test-VirtGuestConnection'
        'Test-VirtGuestKernelLog'
        'Test-VirtImage'
        'Wait-VirtCondition'
        'Wait-VirtLogin'
        'Wait-VirtSessionOutput'
        'Wait-VirtVmEvent'
        'Wait-VirtVmState'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()

    FormatsToProcess     = 'VirtTest.Format.ps1xml'

    PrivateData          = @{
        PSData = @{
            Tags       = @('Virtualization', 'Testing', 'Cartesian', 'QEMU', 'KVM', 'qemu-img')
        }
    }
}
