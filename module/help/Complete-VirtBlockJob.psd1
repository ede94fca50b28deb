# Help source for Complete-VirtBlockJob (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Completes ready block jobs: a mirror or an active commit switches the disk over.'

    Description = @(
        'Complete-VirtBlockJob completes a job that is ready (Invoke-VirtBlockJob -WhenReady Return left it so): a mirror switches the disk to its copy, a commit of the active top image switches it to the base. It waits until the job has ended. A job that is not ready yet is refused by the hypervisor (VirtTest.MonitorCommand.<class>); an unknown id is VirtTest.BlockDeviceNotFound after a short wait; a job that fails while completing is VirtTest.BlockJobFailed.'
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
            Title   = 'Complete a mirror that was left ready'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virtcomplete-$PID"
$null = New-Item -ItemType Directory -Path $dir
$source = (New-VirtImage (Join-Path $dir source.qcow2) -Size 16M).Path
$vm = New-VirtVm -TestGuest -Name complete -Property @{ images = 'data'; image_filename_data = $source }
Start-VirtVm $vm
$job = Invoke-VirtBlockJob $vm -Type Mirror -Id data -Target (Join-Path $dir copy.qcow2) -WhenReady Return
Complete-VirtBlockJob $vm -Id $job.Id
(Get-VirtBlockDevice $vm -Id data).File
Remove-VirtVm $vm
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'Prints the path of copy.qcow2: the disk runs on the copy now.'
        }
    )

    RelatedLinks = @('Invoke-VirtBlockJob', 'Get-VirtBlockJob', 'Stop-VirtBlockJob', 'about_VirtTest')
}
