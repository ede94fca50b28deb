# Help source for Move-VirtVm (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Live-migrates virtual machines to a new hypervisor instance on this host.'

    Description = @(
        'Move-VirtVm starts a second hypervisor for each VM, waiting for an incoming migration, sends the running VM''s state to it (memory, devices, and with -CopyStorage the disks) while the guest keeps running, and switches over when the transfer is complete. The old hypervisor is then stopped. A progress bar shows the amount of data sent.'
        'The VirtualMachine object stays the same but stands for the destination afterwards: its ProcessId, SerialConsolePath and ConsoleLogPath change, and MigrationCount goes up by one. A VM that was running is running again after the move; a paused VM stays paused. Connections to the old serial console socket are closed: connect again.'
        'With -CopyStorage the disks move too (non-shared storage), the way current QEMU and libvirt do it: each disk of the params gets a new image file for the destination (<name>-copyN.<format>, next to the source or in -StorageDirectory); QEMU exports the destination''s disks over NBD and the source mirrors into them (blockdev-mirror) while the guest runs; the mirrors are finished at a pause just before the switch-over. libvirt migrates with VIR_MIGRATE_NON_SHARED_DISK onto the new files. Afterwards the VM''s params name the new files and the old ones keep the data of the moment of the move. A VM with hot-plugged disks (Add-VirtDisk) is refused before anything starts.'
        'A migration that fails or does not finish within -TimeoutSec is cancelled; the VM keeps running on the source and the error says why (VirtTest.Monitor or VirtTest.MonitorTimeout). A backend without live migration gives a VirtTest.NotSupportedByBackend error.'
        'With -Destination the VM moves to another node of a cluster test''s Slurm job (a test with migration_dest_host = auto run by Invoke-VirtTestRun -Cluster Slurm finds it in $Env.Data[''migration_destination'']): a QEMU there waits for the stream on that node''s address, the migration goes over TCP, the guest continues there and the local QEMU is stopped. The destination''s Session property is then a logged-in shell on the guest on the other node. QEMU only; the disks must be on storage both nodes see.'
    )

    Parameters  = @{
        Vm          = 'Specifies the VMs to migrate, as objects from New-VirtVm or Get-VirtVm. Accepts VMs from the pipeline.'
        Name        = 'Specifies the VMs by name; wildcards are allowed. A name without wildcards that matches no VM of the session is a VirtTest.VmNotFound error. Binds from the Name or VmName property of piped objects.'
        Protocol    = 'Specifies the transport of the migration stream: unix (a Unix socket in the destination''s runtime directory, the default) or tcp (a free port on 127.0.0.1).'
        CopyStorage = 'Also copies the disks to new image files for the destination (migration with non-shared storage). Needs the MigrationWithDiskCopy capability.'
        StorageDirectory = 'With -CopyStorage: the folder for the destination''s image files. By default each goes next to its source image.'
        TimeoutSec  = 'Specifies how many seconds the whole migration may take before it is cancelled. The default is 300.'
        PassThru    = 'Writes each migrated VM to the pipeline (with -Destination: the destination). By default Move-VirtVm writes nothing.'
        Destination = 'Specifies a destination on another node of the test''s cluster job ($Env.Data[''migration_destination''] in a test with migration_dest_host = auto). Not with -Protocol or -CopyStorage.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'VMs from New-VirtVm or Get-VirtVm.' }
        @{ Type = 'System.String'; Description = 'VM names, from the Name or VmName property of piped objects.' }
    )

    Outputs     = @(
        @{ Type = 'None'; Description = 'By default, nothing.' }
        @{ Type = 'VirtTest.Core.Vm.VirtualMachine'; Description = 'With -PassThru, each migrated VM, now standing for the destination.' }
        @{ Type = 'VirtTest.Core.Runner.Cluster.MigrationDestination'; Description = 'With -Destination and -PassThru: the destination, with its Node and a Session on the guest there.' }
    )

    Notes       = @(
        'The destination is started from the VM''s params, so devices hot-plugged with Add-VirtPciDevice are not part of it and the migration fails with a VirtTest.Monitor error (the VM keeps running on the source): remove them with Remove-VirtPciDevice before migrating.'
    )

    Examples    = @(
        @{
            Title   = 'Migrate a VM and compare the processes'
            Code    = @'
$vm = New-VirtVm -TestGuest -Name mover
Start-VirtVm $vm
$before = $vm.ProcessId
$vm | Move-VirtVm -Protocol tcp -TimeoutSec 120 -PassThru | Select-Object Name, State, MigrationCount, ProcessId
'{0} -> {1}' -f $before, $vm.ProcessId
Remove-VirtVm $vm
'@
            Remarks = 'Migrates the VM over TCP on the loopback interface. Afterwards it runs in a new QEMU process and its MigrationCount is 1.'
        }
        @{
            Title   = 'Migrate a VM with its disk to a new image file'
            Code    = @'
$file = Join-Path ([System.IO.Path]::GetTempPath()) "virtmove-$PID.qcow2"
$null = New-VirtImage $file -Size 32M
$vm = New-VirtVm -TestGuest -Name movedisk -Property @{ images = 'data'; image_filename_data = $file }
Start-VirtVm $vm
Move-VirtVm $vm -CopyStorage
(Get-VirtBlockDevice $vm).File
Remove-VirtVm $vm
Remove-Item -LiteralPath $file, ($file -replace '\.qcow2$', '-copy1.qcow2')
'@
            Remarks = 'The disk now runs on virtmove-<pid>-copy1.qcow2; the original file is no longer used.'
        }
    )

    RelatedLinks = @('Start-VirtVm', 'Get-VirtCapability', 'about_VirtTest')
}
