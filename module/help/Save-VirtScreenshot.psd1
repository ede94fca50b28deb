# Help source for Save-VirtScreenshot (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Saves the display of running virtual machines as PNG images.'

    Description = @(
        'Save-VirtScreenshot writes what the virtual display of each VM shows to a PNG file and writes a FileInfo object for it. The image has the size of the current video mode, for example 720x400 while a VGA card is in text mode.'
        'When -Path is an existing folder, each VM''s image is written into it as <VM name>.png, which is how to take screenshots of several VMs at once. Otherwise -Path is the file to write; its folder is created when needed and an existing file is replaced.'
        'A VM without a display device (the vga param is none) gives a VirtTest.NotSupportedByBackend error (category NotImplemented); a VM that is not running or paused gives a VirtTest.VmState error.'
    )

    Parameters  = @{
        Vm   = 'Specifies the VMs to take screenshots of, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name = 'Specifies the VMs by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects.'
        Path = 'Specifies the PNG file to write, or an existing folder to write one <VM name>.png per VM into. PowerShell paths are resolved.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
        @{ Type = 'System.String'; Description = 'VM names, from the Name or VmName property of piped objects.' }
    )

    Outputs     = @(
        @{ Type = 'System.IO.FileInfo'; Description = 'The PNG file written for each VM.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Take a screenshot'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name screen
Start-VirtVm $vm
$png = Save-VirtScreenshot $vm -Path (Join-Path ([System.IO.Path]::GetTempPath()) 'virttest-screen.png')
'{0}: {1} bytes' -f $png.Name, $png.Length
Remove-Item -LiteralPath $png.FullName
Remove-VirtVm $vm
'@
            Remarks = 'Saves the display of the test guest as a PNG file in the temporary folder, shows its size and deletes it again.'
        }
    )

    RelatedLinks = @('Get-VirtCapability', 'Start-VirtVm', 'about_VirtTest')
}
