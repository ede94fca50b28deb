# Help source for Stop-VirtBlockJob (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Cancels block jobs of running virtual machines.'

    Description = @(
        'Stop-VirtBlockJob cancels each job and waits until it has ended. The disk stays on the image it was on: a cancelled stream or commit leaves the chain as it was (what was already copied stays), a ready mirror leaves a copy that is consistent at the moment of the cancel. An unknown id is VirtTest.BlockDeviceNotFound (after a short wait) or the hypervisor''s error.'
    )

    Parameters  = @{
        Vm         = 'Specifies the VMs, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name       = 'Specifies the VMs by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects (disks and block jobs carry their VmName).'
        Id         = 'Specifies the job''s id. Binds from the Id property of piped jobs (Get-VirtBlockJob).'
        TimeoutSec = 'Specifies how many seconds to wait for the job''s end. The default is 120.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Monitor.BlockJob'; Description = 'Jobs from Get-VirtBlockJob (VmName and Id bind by property name).' }
    )

    Outputs     = @(
        @{ Type = 'None'; Description = 'Nothing.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Keep a consistent copy of a disk without switching to it'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virtstopjob-$PID"
$null = New-Item -ItemType Directory -Path $dir
$source = (New-VirtImage (Join-Path $dir source.qcow2) -Size 16M).Path
$vm = New-VirtVm -TestGuest -Name stopjob -Property @{ images = 'data'; image_filename_data = $source }
Start-VirtVm $vm
$null = Invoke-VirtBlockJob $vm -Type Mirror -Id data -Target (Join-Path $dir backup.qcow2) -WhenReady Return
Get-VirtBlockJob $vm | Stop-VirtBlockJob
(Get-VirtBlockDevice $vm -Id data).File -eq $source
Remove-VirtVm $vm
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'backup.qcow2 holds the disk as it was when the job was stopped; the VM stays on source.qcow2 (True). Invoke-VirtBlockJob -WhenReady Cancel does the same in one step.'
        }
    )

    RelatedLinks = @('Invoke-VirtBlockJob', 'Get-VirtBlockJob', 'Complete-VirtBlockJob', 'about_VirtTest')
}
