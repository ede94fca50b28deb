#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds the real-distribution test guest: a Debian 12 disk image that boots by itself.

.DESCRIPTION
    Everything comes from Debian packages; nothing is mounted (no loop device, no mount at all):

      1. mmdebstrap --variant=minbase bookworm, with systemd-sysv, linux-image-cloud-amd64,
         openssh-server, bash, iproute2, kmod, pciutils, e2fsprogs, util-linux, udev, passwd,
         login, initramfs-tools, grub-pc-bin, dbus and libpam-systemd, into a directory tree.
      2. The tree is configured: hostname, fstab (root by UUID), systemd-networkd with DHCP on
         every PCI Ethernet card (matched by type and bus path, never by interface name, so it
         works with any NIC model on QEMU and libvirt), a serial getty on ttyS0, the test users
         and passwords, an sshd that accepts them, a colour bash prompt, and services that only
         slow a TCG boot masked.
      3. GRUB's core image (grub-mkimage, run in the tree with chroot) finds the root file
         system by UUID; GRUB's modules and grub.cfg live in the tree's /boot/grub.
      4. A raw disk: an MBR (GRUB's boot.img, one bootable Linux partition from 1 MiB to the
         end), core.img in the gap after the MBR, and the ext4 file system made from the tree
         by mkfs.ext4 -d at a 1 MiB offset inside the same file (mke2fs -E offset).
      5. qemu-img convert to qcow2.

    Output (OutputPath, default .build/guest/debian12):
      debian12.qcow2   the disk (boots through SeaBIOS and GRUB; no kernel params needed)
      guest.json       manifest: packages, kernel version, root file system UUID, users and
                       passwords, prompts, SSH host key fingerprints, the inputs hash, build
                       time and image size

    Test credentials (test-only, published): root / 'Debian12-Root-Pw', and the normal user
    'vtuser' / 'Debian12-User-Pw'. sshd accepts both with a password (PermitRootLogin yes).
    Both users get Debian's colour bash prompt ('root@debian12:~# '), with the bracketed
    paste and colour escape sequences a real login shell prints.

    The image is cached: when OutputPath/guest.json records the same inputs hash (this
    script's content and the apt candidate versions of the main packages), nothing is
    rebuilt. Tests must never write to it: open it with image_snapshot = yes (as
    examples/guests/debian12.cfg does) or through an overlay.

    Needs root (mmdebstrap, chroot, file ownership in the image). Installs mmdebstrap,
    e2fsprogs and qemu-utils when missing.

.EXAMPLE
    dotnet pwsh ./build/New-DebianGuest.ps1

.EXAMPLE
    qemu-system-x86_64 -machine pc -accel tcg -m 1024 -nographic -nodefaults -serial stdio `
        -drive file=.build/guest/debian12/debian12.qcow2,if=virtio,snapshot=on `
        -netdev user,id=n0,hostfwd=tcp:127.0.0.1:2222-:22 -device virtio-net-pci,netdev=n0
#>
[CmdletBinding()]
param(
    [string] $OutputPath = (Join-Path (Split-Path -Parent $PSScriptRoot) '.build/guest/debian12'),
    # Rebuild even when the cached image is up to date.
    [switch] $Force
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $false
Import-Module (Join-Path $PSScriptRoot 'BuildCommon.psm1') -Force

$Suite = 'bookworm'
$Mirrors = @(
    "deb http://deb.debian.org/debian $Suite main",
    "deb http://deb.debian.org/debian $Suite-updates main",
    "deb http://deb.debian.org/debian-security $Suite-security main")
# dbus and libpam-systemd: logind and the system bus, which systemctl reboot/poweroff,
# hostnamectl and logins use on a real installation.
$Packages = @('systemd-sysv', 'linux-image-cloud-amd64', 'openssh-server', 'bash', 'iproute2', 'kmod', 'pciutils',
    'e2fsprogs', 'util-linux', 'udev', 'passwd', 'login', 'initramfs-tools', 'grub-pc-bin', 'dbus', 'libpam-systemd')
# Their apt candidate versions are build inputs (cheap to know: the host's apt index).
$VersionedPackages = @('linux-image-cloud-amd64', 'systemd', 'openssh-server', 'bash', 'grub-pc-bin', 'initramfs-tools', 'util-linux')
$HostName = 'debian12'
$ImageName = 'debian12.qcow2'
$DiskSize = 4GB
$PartitionStart = 1MB
$RootUser = 'root'
$RootPassword = 'Debian12-Root-Pw'
$User = 'vtuser'
$UserPassword = 'Debian12-User-Pw'
# 'quiet' keeps the serial console for the login and the shell: no kernel or systemd status
# lines between a command's output (panics and oopses still print: they raise the log level).
# no_timer_check: on a loaded host a TCG vCPU can miss the kernel's early IO-APIC timer check,
# which then panics ('IO-APIC + timer doesn't work!'); seen here with several TCG guests at once.
$KernelParams = 'console=tty0 console=ttyS0,115200n8 quiet no_timer_check'
# Units that cost boot time under TCG and do nothing a test needs. getty-static starts
# gettys on tty2-6 when logind is absent; networkd-wait-online would hold multi-user.target
# until DHCP answered (or 2 minutes without a NIC).
$MaskedUnits = @('apt-daily.timer', 'apt-daily-upgrade.timer', 'dpkg-db-backup.timer', 'e2scrub_all.timer',
    'e2scrub_reap.service', 'fstrim.timer', 'getty-static.service', 'systemd-networkd-wait-online.service')
# Documentation and translations are left out of the image (smaller, faster to build).
$DpkgExcludes = @('/usr/share/man/*', '/usr/share/doc/*', '/usr/share/info/*', '/usr/share/locale/*', '/usr/share/lintian/*')

function Write-Step([string] $Message) {
    Write-Host "==> $Message" -ForegroundColor Cyan
}

# Runs a native command from an argument array (never a composed command string); with
# -InputText, that text is its standard input. Returns stdout lines with -Capture; throws,
# naming the command (never the input), on a non-zero exit code.
function Invoke-Native {
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [string] $InputText,
        [switch] $Capture
    )
    $output = if ($PSBoundParameters.ContainsKey('InputText')) { $InputText | & $FilePath @ArgumentList 2>&1 } else { & $FilePath @ArgumentList 2>&1 }
    $code = $LASTEXITCODE
    $lines = @($output | ForEach-Object { "$_" })
    if ($code -ne 0) {
        $shown = if ($lines.Count -gt 40) { @($lines | Select-Object -First 20) + '...' + @($lines | Select-Object -Last 20) } else { $lines }
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $code.`n$($shown -join "`n")"
    }
    if ($Capture) { return $lines }
    $lines | ForEach-Object { Write-Verbose "$FilePath`: $_" }
}

function Get-AptCandidate([string] $Package) {
    $line = & apt-cache policy $Package 2>$null | Where-Object { $_ -match '^\s*Candidate:' }
    $version = if ($line) { ($line -replace '^\s*Candidate:\s*', '').Trim() } else { '' }
    if (-not $version -or $version -eq '(none)') { return $null }
    return $version
}

function Write-TextFile([string] $Path, [string] $Text, [int] $Mode = 0x1A4) {
    $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Path)
    $Text = $Text -replace "`r`n", "`n"
    if (-not $Text.EndsWith("`n")) { $Text += "`n" }
    [System.IO.File]::WriteAllText($Path, $Text, [Text.UTF8Encoding]::new($false))
    [System.IO.File]::SetUnixFileMode($Path, [System.IO.UnixFileMode]$Mode)
}

# systemctl mask without a running systemd: the same /dev/null link it makes.
function Set-MaskedUnit([string] $Tree, [string] $Unit) {
    $link = Join-Path $Tree "etc/systemd/system/$Unit"
    Remove-Item -LiteralPath $link -Force -ErrorAction Ignore
    $null = [System.IO.File]::CreateSymbolicLink($link, '/dev/null')
}

# OpenSSH's fingerprint of a public key line: SHA256 of the key blob, base64 without padding.
function Get-SshFingerprint([string] $PublicKeyLine) {
    $blob = [Convert]::FromBase64String(($PublicKeyLine.Trim() -split '\s+')[1])
    return 'SHA256:' + [Convert]::ToBase64String([System.Security.Cryptography.SHA256]::HashData($blob)).TrimEnd('=')
}

# The MBR: GRUB's boot code (first 440 bytes of boot.img, which loads the core image from
# sector 1), a disk signature, one bootable Linux partition, the 0x55AA signature.
function New-MasterBootRecord([byte[]] $BootImage, [long] $StartSector, [long] $SectorCount) {
    $mbr = [byte[]]::new(512)
    [Array]::Copy($BootImage, $mbr, 440)
    [Array]::Copy([BitConverter]::GetBytes([uint32]0x56543132), 0, $mbr, 440, 4)   # disk signature
    $entry = 446
    $mbr[$entry] = 0x80                                   # bootable
    $mbr[$entry + 1] = 0xFE; $mbr[$entry + 2] = 0xFF; $mbr[$entry + 3] = 0xFF   # CHS: use LBA
    $mbr[$entry + 4] = 0x83                               # Linux
    $mbr[$entry + 5] = 0xFE; $mbr[$entry + 6] = 0xFF; $mbr[$entry + 7] = 0xFF
    [Array]::Copy([BitConverter]::GetBytes([uint32]$StartSector), 0, $mbr, $entry + 8, 4)
    [Array]::Copy([BitConverter]::GetBytes([uint32]$SectorCount), 0, $mbr, $entry + 12, 4)
    $mbr[510] = 0x55; $mbr[511] = 0xAA
    return $mbr
}

function Initialize-Prerequisites {
    if (-not (Test-Root)) {
        throw 'Building the Debian guest needs root (mmdebstrap, chroot, root-owned files in the image).'
    }
    Install-DebianPackage -Name @('mmdebstrap', 'e2fsprogs', 'qemu-utils') -Probe @{
        'mmdebstrap' = 'mmdebstrap'; 'e2fsprogs' = 'mkfs.ext4'; 'qemu-utils' = 'qemu-img'
    } -Purpose 'the Debian test guest'
}

function Get-Inputs {
    $versions = [ordered]@{}
    foreach ($package in $VersionedPackages) { $versions[$package] = Get-AptCandidate $package }
    if (@($versions.Values | Where-Object { -not $_ }).Count) {
        & apt-get -o DPkg::Lock::Timeout=600 update -qq | Out-Host
        foreach ($package in $VersionedPackages) {
            $versions[$package] = Get-AptCandidate $package
            if (-not $versions[$package]) { throw "$package is not available from the configured apt sources." }
        }
    }
    $text = [System.IO.File]::ReadAllText($PSCommandPath) + "`n" + (@($versions.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join "`n")
    $hash = [Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($text))).ToLowerInvariant()
    return [pscustomobject]@{ Hash = $hash; Versions = $versions }
}

function Invoke-Mmdebstrap([string] $Tree) {
    Write-Step "mmdebstrap --variant=minbase $Suite ($($Packages.Count) packages)"
    $arguments = @('--variant=minbase', ('--include=' + ($Packages -join ',')), '--quiet')
    foreach ($pattern in $DpkgExcludes) { $arguments += "--dpkgopt=path-exclude=$pattern" }
    # Keep the copyright files (licences) of the excluded documentation.
    $arguments += '--dpkgopt=path-include=/usr/share/doc/*/copyright'
    $arguments += @($Suite, $Tree) + $Mirrors
    Invoke-Native mmdebstrap $arguments
}

function Set-GuestConfiguration([string] $Tree, [string] $RootUuid) {
    Write-Step 'Configuring the guest (network, console, users, sshd, prompt, masked units)'
    Write-TextFile (Join-Path $Tree 'etc/hostname') $HostName
    Write-TextFile (Join-Path $Tree 'etc/hosts') "127.0.0.1`tlocalhost`n127.0.1.1`t$HostName`n::1`tlocalhost ip6-localhost ip6-loopback"
    Write-TextFile (Join-Path $Tree 'etc/fstab') "UUID=$RootUuid`t/`text4`terrors=remount-ro`t0`t1"
    # mmdebstrap copied the build host's resolver configuration.
    Remove-Item -LiteralPath (Join-Path $Tree 'etc/resolv.conf') -Force -ErrorAction Ignore

    # DHCP on the PCI Ethernet cards, whatever the model names them (ens3, enp1s0, eth0):
    # a bridge or veth a test makes inside the guest has no PCI path and is left alone.
    Write-TextFile (Join-Path $Tree 'etc/systemd/network/80-virttest-dhcp.network') @'
[Match]
Type=ether
Path=pci-*

[Network]
DHCP=ipv4
'@
    Invoke-Native chroot @($Tree, 'systemctl', 'enable', 'systemd-networkd.service', 'serial-getty@ttyS0.service')
    foreach ($unit in $MaskedUnits) { Set-MaskedUnit $Tree $unit }

    Invoke-Native chroot @($Tree, 'useradd', '--create-home', '--shell', '/bin/bash', $User)
    Invoke-Native chroot @($Tree, 'chpasswd') -InputText "$RootUser`:$RootPassword`n$User`:$UserPassword"

    Write-TextFile (Join-Path $Tree 'etc/ssh/sshd_config.d/virttest.conf') @'
# Test guest: password logins for root and the test user; no reverse DNS wait.
PermitRootLogin yes
PasswordAuthentication yes
UseDNS no
'@
    # Debian's bash prompt in colour for both users, as on most distributions' images.
    $skel = Get-Content -LiteralPath (Join-Path $Tree 'etc/skel/.bashrc') -Raw
    # Colours whatever the terminal says it can do (getty's vt220 on the serial console has no
    # setaf, so Debian's check would turn them off there).
    $colour = $skel -replace '(?m)^if \[ "\$color_prompt" = yes \]; then', "color_prompt=yes`nif [ `"`$color_prompt`" = yes ]; then"
    if ($colour -eq $skel) { throw 'etc/skel/.bashrc has no ''if [ "$color_prompt" = yes ]; then'' line.' }
    Write-TextFile (Join-Path $Tree 'root/.bashrc') $colour
    # A login shell reads ~/.profile, which reads ~/.bashrc (root has none in minbase).
    Copy-Item -LiteralPath (Join-Path $Tree 'etc/skel/.profile') -Destination (Join-Path $Tree 'root/.profile')
    Write-TextFile (Join-Path $Tree "home/$User/.bashrc") $colour
    Invoke-Native chroot @($Tree, 'chown', "$User`:$User", "/home/$User/.bashrc")
}

function Install-Grub([string] $Tree, [string] $RootUuid) {
    Write-Step 'GRUB: modules and grub.cfg in /boot/grub, core.img (grub-mkimage in the tree)'
    $grubDir = Join-Path $Tree 'boot/grub'
    $moduleDir = Join-Path $grubDir 'i386-pc'
    $null = New-Item -ItemType Directory -Force -Path $moduleDir
    Get-ChildItem -LiteralPath (Join-Path $Tree 'usr/lib/grub/i386-pc') |
        Where-Object { $_.Extension -in '.mod', '.lst' } | Copy-Item -Destination $moduleDir
    # /vmlinuz and /initrd.img are the kernel package's symlinks to the newest kernel, so a
    # kernel installed later in the guest boots without regenerating this file.
    Write-TextFile (Join-Path $grubDir 'grub.cfg') @"
set timeout=0
set default=0
menuentry 'Debian GNU/Linux 12' {
    linux /vmlinuz root=UUID=$RootUuid ro $KernelParams
    initrd /initrd.img
}
"@
    Write-TextFile (Join-Path $Tree 'tmp/virttest-load.cfg') "search.fs_uuid $RootUuid root`nset prefix=(`$root)/boot/grub"
    Invoke-Native chroot @($Tree, 'grub-mkimage', '-O', 'i386-pc', '-d', '/usr/lib/grub/i386-pc', '-c', '/tmp/virttest-load.cfg',
        '-p', '/boot/grub', '-o', '/tmp/virttest-core.img', 'biosdisk', 'part_msdos', 'ext2', 'search_fs_uuid')
    $core = [System.IO.File]::ReadAllBytes((Join-Path $Tree 'tmp/virttest-core.img'))
    Remove-Item -LiteralPath (Join-Path $Tree 'tmp/virttest-load.cfg'), (Join-Path $Tree 'tmp/virttest-core.img') -Force
    if ($core.Length -gt ($PartitionStart - 512)) { throw "GRUB's core.img ($($core.Length) bytes) does not fit before the partition." }
    return [pscustomobject]@{
        BootImage = [System.IO.File]::ReadAllBytes((Join-Path $Tree 'usr/lib/grub/i386-pc/boot.img'))
        CoreImage = $core
    }
}

function New-RawDisk([string] $Tree, [string] $RootUuid, $Grub, [string] $Path) {
    Write-Step "Raw disk: MBR, GRUB core, ext4 from the tree at $($PartitionStart / 1MB) MiB (mkfs.ext4 -d)"
    $stream = [System.IO.File]::Create($Path)
    try {
        $stream.SetLength($DiskSize)   # sparse
        $mbr = New-MasterBootRecord $Grub.BootImage ($PartitionStart / 512) (($DiskSize - $PartitionStart) / 512)
        $stream.Write($mbr, 0, $mbr.Length)
        $stream.Write($Grub.CoreImage, 0, $Grub.CoreImage.Length)
    }
    finally { $stream.Dispose() }
    $blocks = ($DiskSize - $PartitionStart) / 4096
    Invoke-Native mkfs.ext4 @('-q', '-F', '-b', '4096', '-L', 'root', '-U', $RootUuid, '-E', "offset=$PartitionStart", '-d', $Tree, $Path, "$blocks")
}

# ---------------------------------------------------------------------------------

$clock = [System.Diagnostics.Stopwatch]::StartNew()
Initialize-Prerequisites
$inputs = Get-Inputs
$OutputPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutputPath)
$manifestPath = Join-Path $OutputPath 'guest.json'
$imagePath = Join-Path $OutputPath $ImageName
if (-not $Force -and (Test-Path -LiteralPath $manifestPath) -and (Test-Path -LiteralPath $imagePath)) {
    $cached = Get-Content -LiteralPath $manifestPath -Raw | ConvertFrom-Json
    if ($cached.PSObject.Properties['inputs'] -and $cached.inputs -eq $inputs.Hash) {
        Write-Host "Debian guest is up to date: $imagePath"
        exit 0
    }
}

$null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $OutputPath)
# Beside the output (same file system for the final rename; /tmp may be small).
$work = Join-Path (Split-Path -Parent $OutputPath) ".debian12-build-$([guid]::NewGuid().ToString('n'))"
$null = New-Item -ItemType Directory -Path $work
try {
    $tree = Join-Path $work 'tree'
    Invoke-Mmdebstrap $tree
    $rootUuid = [guid]::NewGuid().ToString()
    $kernelFile = @(Get-ChildItem -LiteralPath (Join-Path $tree 'boot') -Filter 'vmlinuz-*')
    if ($kernelFile.Count -ne 1) { throw "Expected one /boot/vmlinuz-* in the tree, found $($kernelFile.Count)." }
    $kernelVersion = $kernelFile[0].Name.Substring('vmlinuz-'.Length)
    $installed = [ordered]@{}
    foreach ($line in Invoke-Native chroot @($tree, 'dpkg-query', '-W', '-f', '${Package}=${Version}\n') -Capture) {
        $name, $version = $line -split '=', 2
        if ($name -in $Packages -or $name -eq "linux-image-$kernelVersion" -or $name -eq 'systemd') { $installed[$name] = $version }
    }
    Set-GuestConfiguration $tree $rootUuid
    $hostKeys = [ordered]@{}
    foreach ($pub in Get-ChildItem -LiteralPath (Join-Path $tree 'etc/ssh') -Filter 'ssh_host_*_key.pub') {
        $line = (Get-Content -LiteralPath $pub.FullName -Raw).Trim()
        $hostKeys[($line -split '\s+')[0]] = Get-SshFingerprint $line
    }
    $grub = Install-Grub $tree $rootUuid

    $raw = Join-Path $work 'disk.raw'
    New-RawDisk $tree $rootUuid $grub $raw
    Write-Step "qemu-img convert -O qcow2 ($ImageName)"
    $qcow2 = Join-Path $work $ImageName
    Invoke-Native qemu-img @('convert', '-f', 'raw', '-O', 'qcow2', $raw, $qcow2)

    Write-Step "Writing $OutputPath"
    $null = New-Item -ItemType Directory -Force -Path $OutputPath
    # The manifest goes last: without it a half-written output never counts as cached.
    Remove-Item -LiteralPath $manifestPath -Force -ErrorAction Ignore
    [System.IO.File]::Move($qcow2, $imagePath, $true)
    $size = (Get-Item -LiteralPath $imagePath).Length
    $manifest = [ordered]@{
        name            = 'debian12'
        image           = $ImageName
        imageFormat     = 'qcow2'
        virtualSize     = $DiskSize
        imageSize       = $size
        boot            = 'disk: MBR + GRUB (i386-pc), root file system by UUID; no kernel params needed'
        kernelVersion   = $kernelVersion
        kernelParams    = $KernelParams
        rootUuid        = $rootUuid
        packages        = $installed
        hostname        = $HostName
        # Test-only credentials.
        username        = $RootUser
        password        = $RootPassword
        user            = $User
        userPassword    = $UserPassword
        loginPrompt     = "$HostName login: "
        passwordPrompt  = 'Password: '
        # bash's prompt after escape sequences are removed: 'root@debian12:~# ', 'vtuser@debian12:~$ '.
        shellPrompt     = '^[\w.-]+@[\w.-]+:[^\n]*[#$] $'
        sshPort         = 22
        sshHostKeys     = $hostKeys
        maskedUnits     = $MaskedUnits
        inputs          = $inputs.Hash
        inputVersions   = $inputs.Versions
        buildSeconds    = [Math]::Round($clock.Elapsed.TotalSeconds, 1)
        builtAt         = [DateTime]::UtcNow.ToString('o')
    }
    Write-TextFile $manifestPath (ConvertTo-Json $manifest -Depth 5)
    Write-Host ("Debian guest ready: {0} ({1:N0} MiB qcow2, {2:N0} GiB virtual, kernel {3}) in {4:N0} s" -f `
            $imagePath, ($size / 1MB), ($DiskSize / 1GB), $kernelVersion, $clock.Elapsed.TotalSeconds) -ForegroundColor Green
}
finally {
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}
