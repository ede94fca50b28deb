# Help source for Invoke-VirtBlockJob (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Runs a block job (stream, commit or mirror) on a disk of running virtual machines, with progress.'

    Description = @(
        'Invoke-VirtBlockJob starts the job, shows its progress (Write-Progress from the hypervisor''s job listing: QEMU query-block-jobs, libvirt virDomainGetBlockJobInfo) and returns the job''s last state (a BlockJob) when it has ended.'
        'Stream copies the data of the disk''s backing chain (down to -Base, else all of it) into its top image, which then needs no backing file; it ends by itself. Commit writes an overlay''s data down into -Base (default: its backing file), from -Top (default: the active top image). Mirror copies the whole disk into a new image -Target (created by the job, in -TargetFormat) while the guest keeps writing.'
        'A mirror, and a commit of the active top image, become ready once they have caught up, and then wait: -WhenReady Complete (the default) switches the disk to the copy (mirror) or to the base (commit) and waits for the end; Cancel stops the job and leaves the disk where it was (a mirror''s copy is consistent at that moment); Return writes the ready job and leaves it running: Complete-VirtBlockJob or Stop-VirtBlockJob end it later.'
        'A job that fails (an I/O error, the target unreachable) is a VirtTest.BlockJobFailed error with the hypervisor''s reason; one that does not end within -TimeoutSec is cancelled and a VirtTest.MonitorTimeout error; Ctrl+C cancels it as well. Needs the BlockJobs capability.'
    )

    Parameters  = @{
        Vm         = 'Specifies the VMs, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name       = 'Specifies the VMs by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects (disks and block jobs carry their VmName).'
        Type         = 'Specifies the job: Stream, Commit or Mirror.'
        Id           = 'Specifies the disk''s id (see Get-VirtBlockDevice).'
        Target       = 'Mirror: the new image file the disk is copied to. It must not exist.'
        TargetFormat = 'Mirror: the format of the new image; qcow2 by default.'
        Base         = 'Commit: the image of the chain to write into (default: the backing file of -Top). Stream: the image to stop at (default: the whole chain).'
        Top          = 'Commit: the image of the chain to start from (default: the active top image, which makes the job wait for -WhenReady).'
        Speed        = 'Specifies a speed limit in bytes per second; 0 (the default) is none.'
        WhenReady    = 'Specifies what to do when a mirror or active commit is ready: Complete (the default), Cancel or Return.'
        TimeoutSec   = 'Specifies how many seconds the job may take. The default is 600.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Monitor.BlockJob'; Description = 'The job''s last state: Status concluded, or ready with -WhenReady Return.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Mirror a disk to a new image and switch the VM over to it'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virtmirror-$PID"
$null = New-Item -ItemType Directory -Path $dir
$source = (New-VirtImage (Join-Path $dir source.qcow2) -Size 32M).Path
$vm = New-VirtVm -TestGuest -Name mirror -Property @{ images = 'data'; image_filename_data = $source }
Start-VirtVm $vm
Invoke-VirtBlockJob $vm -Type Mirror -Id data -Target (Join-Path $dir copy.qcow2) | Format-List Type, Device, Status
(Get-VirtBlockDevice $vm -Id data).File
Remove-VirtVm $vm
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'The disk now runs on copy.qcow2; source.qcow2 is released and holds the same data.'
        }
    )

    RelatedLinks = @('Get-VirtBlockJob', 'Complete-VirtBlockJob', 'Stop-VirtBlockJob', 'New-VirtDiskSnapshot', 'about_VirtTest')
}
