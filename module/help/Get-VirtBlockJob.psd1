# Help source for Get-VirtBlockJob (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Gets the block jobs of running virtual machines.'

    Description = @(
        'Get-VirtBlockJob writes one BlockJob per running job of each VM: VmName, Id, Type (Stream, Commit, Mirror, Other), Device (the disk''s id, for jobs started by VirtTest), Status, Offset and Length (bytes done of bytes to do), Percent, Ready (a mirror or active commit waiting to be completed), Paused and Speed. Jobs that ended are gone from the list.'
    )

    Parameters  = @{
        Vm         = 'Specifies the VMs, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name       = 'Specifies the VMs by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects (disks and block jobs carry their VmName).'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Monitor.BlockJob'; Description = 'One per running job.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Leave a mirror ready, look at it, then complete it'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virtjobs-$PID"
$null = New-Item -ItemType Directory -Path $dir
$source = (New-VirtImage (Join-Path $dir source.qcow2) -Size 16M).Path
$vm = New-VirtVm -TestGuest -Name jobs -Property @{ images = 'data'; image_filename_data = $source }
Start-VirtVm $vm
$null = Invoke-VirtBlockJob $vm -Type Mirror -Id data -Target (Join-Path $dir copy.qcow2) -WhenReady Return
Get-VirtBlockJob $vm | Format-Table
Get-VirtBlockJob $vm | Complete-VirtBlockJob
@(Get-VirtBlockJob $vm).Count
Remove-VirtVm $vm
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'The ready mirror shows Ready True at 100 %; after Complete-VirtBlockJob no job is left.'
        }
    )

    RelatedLinks = @('Invoke-VirtBlockJob', 'Complete-VirtBlockJob', 'Stop-VirtBlockJob', 'about_VirtTest')
}
