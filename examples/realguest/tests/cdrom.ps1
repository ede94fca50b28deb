<#
.SYNOPSIS
    CD-ROM media at run time (tp-qemu's cdrom tests): two ISOs made here with xorriso go into the
    VM's empty drive cd1 (Set-VirtCdrom); the guest mounts each and reads the file it carries;
    after the eject the guest finds no medium.
#>
param($Params, $Vm, $Session, $TestDirectory)

Enter-VirtTestStep 'make two ISOs'
$isos = @{}
foreach ($n in 'one', 'two') {
    $dir = Join-Path $TestDirectory "cd-$n"
    $null = New-Item -ItemType Directory -Path $dir
    Set-Content -LiteralPath (Join-Path $dir 'hello.txt') -Value "virttest cd $n"
    $isos[$n] = Join-Path $TestDirectory "cd-$n.iso"
    xorriso -as mkisofs -quiet -V "VT_$n" -o $isos[$n] $dir 2>$null
    if ($LASTEXITCODE -ne 0) { throw "xorriso failed with exit code $LASTEXITCODE making $($isos[$n])" }
}

# The guest's drive: the first CD-ROM block device (sr0 on IDE or SCSI).
$drive = (Invoke-VirtSessionCommand -Session $Session -Command 'lsblk -dnpo NAME,TYPE | awk ''$2=="rom"{print $1; exit}''').Output.Trim()
if (-not $drive) { throw 'the guest has no CD-ROM block device (lsblk lists no rom); does its kernel drive the cdrom bus (cd_format)?' }
Write-Information "guest drive: $drive"

foreach ($n in 'one', 'two') {
    Enter-VirtTestStep "insert ISO $n and read it"
    $after = Set-VirtCdrom -Vm $Vm -Id cd1 -Path $isos[$n] -PassThru
    if ($after.File -ne $isos[$n]) { throw "the hypervisor reports '$($after.File)' in cd1, not $($isos[$n])" }
    # The guest notices the new medium on its next access; mount until it does.
    Wait-VirtCondition -TimeoutSec 60 -Message "the guest to mount ISO $n from $drive" -Condition {
        (Invoke-VirtSessionCommand -Session $Session -Command "mount -o ro $drive /mnt" -IgnoreExitCode -ErrorAction SilentlyContinue).ExitCode -eq 0
    } | Out-Null
    $text = (Invoke-VirtSessionCommand -Session $Session -Command 'cat /mnt/hello.txt; umount /mnt').Output.Trim()
    if ($text -ne "virttest cd $n") { throw "the guest read '$text' from ISO $n" }
}

Enter-VirtTestStep 'eject'
$after = Set-VirtCdrom -Vm $Vm -Id cd1 -Eject -PassThru
if ($after.HasMedium) { throw "cd1 still has $($after.File) after the eject" }
Wait-VirtCondition -TimeoutSec 60 -Message "the guest to find no medium in $drive" -Condition {
    (Invoke-VirtSessionCommand -Session $Session -Command "dd if=$drive of=/dev/null bs=2048 count=1" -IgnoreExitCode -ErrorAction SilentlyContinue).ExitCode -ne 0
} | Out-Null
