#!/usr/bin/env pwsh
<#
.SYNOPSIS
    A real Xen hypervisor with a Debian dom0, nested in QEMU (TCG), for the Xen backend's tests.

.DESCRIPTION
    Actions:
      Prepare Installs what Build needs from apt (the host tools; the package index when apt
              does not know the image's packages) and builds nothing.
      Build   Makes the dom0 image from Debian packages (mmdebstrap) into
              .build/xenlab/image/ unless it is up to date (same recipe: the packages, the files
              written into dom0, the build steps, and the candidate versions of the packages).
              About 2-3 minutes; needs root.
      Start   Build, then boots Xen 4.17 + dom0 in QEMU on a qcow2 overlay, with the serial
              console on a Unix socket (logged to serial.log) and a user-mode NIC forwarding
              a free 127.0.0.1 port to dom0's port 22. Generates an SSH key for root (passed
              to dom0 on its kernel command line), writes a known_hosts file with the image's
              host key, and returns once 'xl info' answers over SSH (about 1-2 minutes under
              TCG). Writes lab.json in the lab folder (.build/xenlab/lab/).
      Stop    Ends QEMU (by the pid in lab.json) and removes the lab folder: overlay,
              sockets, key, logs. Idempotent.
      Status  Prints lab.json and whether QEMU still runs; exit code 1 when no lab runs.

    lab.json: pid, xenHost ('root@127.0.0.1:<port>'), host, sshPort, user, keyPath,
    knownHostsPath, serialLog, labPath, bootSeconds, xenVersion. The tests read it through
    VIRTTEST_XEN_LAB (the lab folder) or from the default lab folder.

    The dom0 image: Debian 12 minbase with systemd, linux-image-amd64 (the cloud kernel cannot
    be dom0), xen-hypervisor-4.17-amd64, xen-utils-4.17, openssh-server; a static address on
    the user-mode network (10.0.2.15/24), an initramfs with only the modules the boot disk
    needs, root logins by key only (password logins are offered and refused). QEMU boots Xen
    directly (-kernel with the unpacked hypervisor, dom0's kernel and initramfs as multiboot
    modules); '-cpu qemu64,+svm' because dom0 crashes with '-cpu max'.

    Only one lab runs at a time (a nested hypervisor under TCG needs both cores).

.EXAMPLE
    dotnet pwsh ./build/XenLab.ps1 -Action Start
    ssh -i .build/xenlab/lab/id_ed25519 -p (port from lab.json) root@127.0.0.1 xl list
    dotnet pwsh ./build/XenLab.ps1 -Action Stop
#>
[CmdletBinding()]
param(
    [ValidateSet('Prepare', 'Build', 'Start', 'Stop', 'Status')]
    [string] $Action = 'Status',
    # Parent of image/ (cached) and lab/ (one running lab).
    [string] $Path = (Join-Path (Split-Path -Parent $PSScriptRoot) '.build/xenlab'),
    # Rebuild the image even when it is up to date.
    [switch] $Force,
    [ValidateRange(30, 3600)]
    [int] $BootTimeoutSeconds = 900
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $false
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path $PSScriptRoot 'BuildCommon.psm1') -Force

$Suite = 'bookworm'
$XenVersion = '4.17'
$Packages = @('systemd-sysv', 'udev', 'dbus', 'linux-image-amd64', 'initramfs-tools', "xen-hypervisor-$XenVersion-amd64",
    "xen-utils-$XenVersion", 'iproute2', 'kmod', 'procps', 'busybox-static', 'e2fsprogs', 'openssh-server')
# Tools on the machine that builds and runs the lab (package -> file that proves it is installed).
$HostTools = [ordered]@{
    'mmdebstrap'      = '/usr/bin/mmdebstrap'
    'e2fsprogs'       = '/sbin/mkfs.ext4'
    'qemu-utils'      = '/usr/bin/qemu-img'
    'qemu-system-x86' = '/usr/bin/qemu-system-x86_64'
    'openssh-client'  = '/usr/bin/ssh'
}
$Dom0Memory = '1024M'
$QemuMemory = '3072'
# Free space in dom0's root file system beyond the installed system (guest kernels, configs).
$ExtraImageMiB = 768
$LabAddress = '127.0.0.1'
$Dom0Address = '10.0.2.15/24'
$Dom0Gateway = '10.0.2.2'

$Path = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
$ImageDir = Join-Path $Path 'image'
$LabDir = Join-Path $Path 'lab'
$StateFile = Join-Path $LabDir 'lab.json'

function Write-Step([string] $Message) {
    Write-Host "==> $Message" -ForegroundColor Cyan
}

# Runs a program from an argument list (no shell); throws with its output on a non-zero exit.
function Invoke-Tool {
    param([Parameter(Mandatory)] [string] $FilePath, [string[]] $ArgumentList = @(), [switch] $Quiet)
    $output = @(& $FilePath @ArgumentList 2>&1 | ForEach-Object { "$_" })
    if ($LASTEXITCODE -ne 0) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE`n$(($output | Select-Object -Last 40) -join "`n")"
    }
    if (-not $Quiet) { $output | ForEach-Object { Write-Verbose $_ } }
    return $output
}

function Write-LabFile([string] $File, [string] $Text, [int] $Mode = 0x1A4) {
    $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $File)
    $Text = $Text -replace "`r`n", "`n"
    if (-not $Text.EndsWith("`n")) { $Text += "`n" }
    [System.IO.File]::WriteAllText($File, $Text, [Text.UTF8Encoding]::new($false))
    [System.IO.File]::SetUnixFileMode($File, [System.IO.UnixFileMode]$Mode)
}

# A symlink inside the image tree (target as dom0 sees it).
function New-TreeLink([string] $Tree, [string] $Link, [string] $Target) {
    $full = Join-Path $Tree $Link
    $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $full)
    if (Test-Path -LiteralPath $full) { Remove-Item -LiteralPath $full -Force }
    $null = [System.IO.File]::CreateSymbolicLink($full, $Target)
}

function Get-AptCandidate([string] $Package) {
    $line = @(& apt-cache policy $Package 2>$null) | Where-Object { $_ -match '^\s*Candidate:' } | Select-Object -First 1
    $version = if ($line) { ($line -replace '^\s*Candidate:\s*', '').Trim() } else { '' }
    if (-not $version -or $version -eq '(none)') { return $null }
    return $version
}

# ---------------------------------------------------------------------------------
# image
# ---------------------------------------------------------------------------------

# Files written into dom0's tree (path -> content, mode).
function Get-Dom0Files {
    return [ordered]@{
        'etc/hostname' = @("xenlab", 0x1A4)
        'etc/hosts' = @("127.0.0.1 localhost xenlab", 0x1A4)
        # No fsck pass: every boot runs on a fresh overlay of a clean image.
        'etc/fstab' = @("/dev/vda / ext4 rw,noatime 0 0", 0x1A4)
        # Only what the boot disk needs: a small initramfs boots faster under TCG.
        'etc/initramfs-tools/conf.d/virttest' = @("MODULES=list", 0x1A4)
        'etc/initramfs-tools/modules' = @("virtio_pci`nvirtio_blk`next4", 0x1A4)
        # QEMU's user-mode network: static address, no DHCP wait.
        'etc/systemd/network/10-lab.network' = @("[Match]`nName=e*`n`n[Network]`nAddress=$Dom0Address`nGateway=$Dom0Gateway`nLinkLocalAddressing=no`nIPv6AcceptRA=no", 0x1A4)
        # Root by key only; password logins are offered so a wrong one is refused as such.
        # One connection carries every xl command and console of a test run: many channels.
        'etc/ssh/sshd_config.d/virttest.conf' = @("PermitRootLogin prohibit-password`nPasswordAuthentication yes`nUseDNS no`nMaxSessions 100`nMaxStartups 50:30:100", 0x1A4)
        'usr/local/sbin/virttest-sshkey' = @(@'
#!/bin/sh
# Authorizes for root the SSH public key given on dom0's kernel command line
# (virttest.sshkey=<base64 of the key line>); build/XenLab.ps1 makes one per lab.
key=
for opt in $(cat /proc/cmdline); do
    case "$opt" in
        virttest.sshkey=*) key="${opt#*=}" ;;
    esac
done
[ -n "$key" ] || exit 0
mkdir -p /root/.ssh
chmod 700 /root/.ssh
printf '%s' "$key" | base64 -d > /root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
'@, 0x1ED)
        'etc/systemd/system/virttest-sshkey.service' = @(@'
[Unit]
Description=Authorize the lab's SSH key for root
Before=ssh.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/virttest-sshkey

[Install]
WantedBy=multi-user.target
'@, 0x1A4)
    }
}

function Get-ImageInputs {
    $versions = [ordered]@{}
    foreach ($package in $Packages) { $versions[$package] = Get-AptCandidate $package }
    $unknown = @($Packages | Where-Object { -not $versions[$_] })
    if ($unknown) {
        if (-not (Test-Root)) { throw "$($unknown -join ', ') unknown to apt; run 'sudo apt-get update' first." }
        $null = Invoke-Tool apt-get @('-o', 'DPkg::Lock::Timeout=600', 'update', '-qq')
        foreach ($package in $unknown) {
            $versions[$package] = Get-AptCandidate $package
            if (-not $versions[$package]) { throw "$package is not available from the configured apt sources." }
        }
    }
    # The recipe: what goes into the image (not how the lab boots it), and the package versions.
    $recipe = @($Suite, ($Packages -join ','), "$ExtraImageMiB", $Dom0Address, $Dom0Gateway, ${function:Get-Dom0Files}.ToString(), ${function:Invoke-BuildImage}.ToString()) -join "`n"
    $text = $recipe + "`n" + (@($versions.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join "`n")
    $hash = [Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($text))).ToLowerInvariant()
    return [pscustomobject]@{ Hash = $hash; Versions = $versions }
}

function Test-ImageCurrent([string] $Hash) {
    $manifest = Join-Path $ImageDir 'image.json'
    if (-not (Test-Path -LiteralPath $manifest)) { return $false }
    foreach ($f in 'dom0.qcow2', 'xen', 'vmlinuz', 'initrd.img', 'ssh_host_ed25519_key.pub') {
        if (-not (Test-Path -LiteralPath (Join-Path $ImageDir $f))) { return $false }
    }
    $cached = Get-Content -LiteralPath $manifest -Raw | ConvertFrom-Json
    return $cached.PSObject.Properties['inputs'] -and $cached.inputs -eq $Hash
}

# What building the image needs from apt, without building it: the host tools installed and the
# packages' versions known to apt (an index fetched when missing).
function Invoke-Prepare {
    Install-DebianPackage -Name @($HostTools.Keys) -Probe $HostTools -Purpose 'the Xen lab'
    # One package tells whether apt has an index (Build's full check asks for each, slowly).
    if (-not (Get-AptCandidate "xen-hypervisor-$XenVersion-amd64")) { $null = Get-ImageInputs }
}

function Invoke-BuildImage {
    Install-DebianPackage -Name @($HostTools.Keys) -Probe $HostTools -Purpose 'the Xen lab'
    $inputs = Get-ImageInputs
    if (-not $Force -and (Test-ImageCurrent $inputs.Hash)) {
        Write-Host "Xen lab image is up to date: $ImageDir"
        return
    }
    if (-not (Test-Root)) { throw 'Building the Xen lab image needs root (mmdebstrap, chroot, file ownership in the image).' }
    if (Test-LabRunning) { throw "A Xen lab is running from $LabDir (it uses the image): stop it first (build/XenLab.ps1 -Action Stop)." }

    $work = Join-Path $Path "work-$([guid]::NewGuid().ToString('n').Substring(0, 8))"
    $tree = Join-Path $work 'root'
    $null = New-Item -ItemType Directory -Force -Path $work
    $clock = [Diagnostics.Stopwatch]::StartNew()
    try {
        Write-Step "mmdebstrap $Suite (minbase + $($Packages.Count) packages; a few minutes)"
        $null = New-Item -ItemType Directory -Force -Path $tree
        $null = Invoke-Tool mmdebstrap @('--mode=root', '--variant=minbase', '--quiet', "--include=$($Packages -join ',')",
            '--aptopt=Acquire::Languages "none"', '--dpkgopt=path-exclude=/usr/share/man/*', '--dpkgopt=path-exclude=/usr/share/doc/*',
            '--dpkgopt=path-exclude=/usr/share/locale/*', $Suite, $tree)

        Write-Step 'Configuring dom0 (network, SSH, key service, initramfs)'
        $files = Get-Dom0Files
        foreach ($name in $files.Keys) { Write-LabFile (Join-Path $tree $name) $files[$name][0] $files[$name][1] }
        New-TreeLink $tree 'etc/systemd/system/multi-user.target.wants/systemd-networkd.service' '/lib/systemd/system/systemd-networkd.service'
        New-TreeLink $tree 'etc/systemd/system/multi-user.target.wants/virttest-sshkey.service' '/etc/systemd/system/virttest-sshkey.service'
        # Timers that would start work in dom0 while tests run.
        foreach ($unit in 'apt-daily.timer', 'apt-daily-upgrade.timer', 'e2scrub_all.timer', 'fstrim.timer') {
            New-TreeLink $tree "etc/systemd/system/$unit" '/dev/null'
        }
        $null = Invoke-Tool chroot @($tree, 'update-initramfs', '-u', '-k', 'all')

        Write-Step 'Collecting Xen, the dom0 kernel and initramfs, the SSH host key'
        $staging = Join-Path $work 'image'
        $null = New-Item -ItemType Directory -Force -Path $staging
        $boot = Join-Path $tree 'boot'
        $xenGz = Get-ChildItem -LiteralPath $boot -Filter "xen-$XenVersion-amd64.gz" | Select-Object -First 1
        $kernel = Get-ChildItem -LiteralPath $boot -Filter 'vmlinuz-*' | Sort-Object Name | Select-Object -Last 1
        if (-not $xenGz -or -not $kernel) { throw "No xen-$XenVersion-amd64.gz or vmlinuz-* in $boot." }
        $version = $kernel.Name.Substring('vmlinuz-'.Length)
        $initrd = Join-Path $boot "initrd.img-$version"
        if (-not (Test-Path -LiteralPath $initrd)) { throw "No $initrd (update-initramfs did not write it)." }
        # QEMU's multiboot loader takes the unpacked 32-bit ELF, not the .gz.
        $in = [System.IO.File]::OpenRead($xenGz.FullName)
        try {
            $gz = [System.IO.Compression.GZipStream]::new($in, [System.IO.Compression.CompressionMode]::Decompress)
            $out = [System.IO.File]::Create((Join-Path $staging 'xen'))
            try { $gz.CopyTo($out) } finally { $out.Dispose(); $gz.Dispose() }
        }
        finally { $in.Dispose() }
        Copy-Item -LiteralPath $kernel.FullName -Destination (Join-Path $staging 'vmlinuz')
        Copy-Item -LiteralPath $initrd -Destination (Join-Path $staging 'initrd.img')
        Copy-Item -LiteralPath (Join-Path $tree 'etc/ssh/ssh_host_ed25519_key.pub') -Destination (Join-Path $staging 'ssh_host_ed25519_key.pub')

        Write-Step 'Making the disk image (mkfs.ext4 -d, qemu-img convert)'
        $used = [long](Invoke-Tool du @('-s', '-B1', '-x', $tree) -Quiet | Select-Object -First 1).Split("`t")[0]
        $sizeMiB = [long][Math]::Ceiling($used * 1.15 / 1MB) + $ExtraImageMiB
        $raw = Join-Path $work 'dom0.raw'
        $null = Invoke-Tool mkfs.ext4 @('-q', '-F', '-L', 'xenlab', '-d', $tree, $raw, "$($sizeMiB)M")
        $null = Invoke-Tool qemu-img @('convert', '-f', 'raw', '-O', 'qcow2', $raw, (Join-Path $staging 'dom0.qcow2'))
        Remove-Item -LiteralPath $raw -Force

        $manifest = [ordered]@{
            inputs        = $inputs.Hash
            suite         = $Suite
            packages      = $inputs.Versions
            kernelVersion = $version
            xen           = $xenGz.Name
            diskMiB       = $sizeMiB
            builtAt       = [DateTime]::UtcNow.ToString('o')
            buildSeconds  = [Math]::Round($clock.Elapsed.TotalSeconds, 1)
        }
        Write-LabFile (Join-Path $staging 'image.json') (ConvertTo-Json $manifest -Depth 4)
        # Replace the old image only once the new one is complete.
        if (Test-Path -LiteralPath $ImageDir) { Remove-Item -LiteralPath $ImageDir -Recurse -Force }
        Move-Item -LiteralPath $staging -Destination $ImageDir
        Write-Host ("Xen lab image ready: $ImageDir (dom0 kernel $version, {0:0} s)" -f $clock.Elapsed.TotalSeconds) -ForegroundColor Green
    }
    finally {
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
    }
}

# ---------------------------------------------------------------------------------
# lab
# ---------------------------------------------------------------------------------

function Read-LabState {
    if (-not (Test-Path -LiteralPath $StateFile)) { return $null }
    return Get-Content -LiteralPath $StateFile -Raw | ConvertFrom-Json
}

# True when the pid is a QEMU of this lab (not a pid reused by another process).
function Test-LabProcess([int] $ProcessId) {
    $cmdline = "/proc/$ProcessId/cmdline"
    if (-not (Test-Path -LiteralPath $cmdline)) { return $false }
    try { $text = [System.IO.File]::ReadAllText($cmdline) } catch { return $false }
    return $text.Contains('qemu-system-x86_64') -and $text.Contains($LabDir)
}

function Test-LabRunning {
    $state = Read-LabState
    return $null -ne $state -and (Test-LabProcess ([int]$state.pid))
}

function Get-FreePort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { return ([System.Net.IPEndPoint]$listener.LocalEndpoint).Port }
    finally { $listener.Stop() }
}

function Get-QemuPid {
    $pidFile = Join-Path $LabDir 'qemu.pid'
    if (-not (Test-Path -LiteralPath $pidFile)) { return 0 }
    $text = (Get-Content -LiteralPath $pidFile -Raw).Trim()
    $value = 0
    if ([int]::TryParse($text, [ref]$value)) { return $value }
    return 0
}

function Stop-LabProcess([int] $ProcessId) {
    if ($ProcessId -le 0 -or -not (Test-LabProcess $ProcessId)) { return }
    $null = & kill -TERM $ProcessId 2>$null
    $deadline = [DateTime]::UtcNow.AddSeconds(10)
    while ((Test-LabProcess $ProcessId) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
    if (Test-LabProcess $ProcessId) {
        $null = & kill -KILL $ProcessId 2>$null
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while ((Test-LabProcess $ProcessId) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
    }
}

function Invoke-Stop {
    $state = Read-LabState
    $processId = if ($state) { [int]$state.pid } else { Get-QemuPid }
    Stop-LabProcess $processId
    if (Test-Path -LiteralPath $LabDir) {
        Remove-Item -LiteralPath $LabDir -Recurse -Force
        Write-Host "Xen lab stopped and removed ($LabDir)."
    }
}

# The last lines dom0 and Xen printed (for a boot that failed).
function Get-SerialTail([int] $Lines = 40) {
    $log = Join-Path $LabDir 'serial.log'
    if (-not (Test-Path -LiteralPath $log)) { return '(no serial log)' }
    $text = [System.IO.File]::ReadAllText($log) -replace "`r", ''
    return (@($text -split "`n") | Select-Object -Last $Lines) -join "`n"
}

function Invoke-Ssh([pscustomobject] $State, [string[]] $Command, [int] $ConnectTimeout = 5) {
    $arguments = @('-i', $State.keyPath, '-p', "$($State.sshPort)", '-o', 'BatchMode=yes', '-o', "ConnectTimeout=$ConnectTimeout",
        '-o', 'StrictHostKeyChecking=yes', '-o', "UserKnownHostsFile=$($State.knownHostsPath)", '-o', 'LogLevel=ERROR',
        "$($State.user)@$($State.host)", '--') + $Command
    $output = @(& ssh @arguments 2>&1 | ForEach-Object { "$_" })
    return [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = $output }
}

function Invoke-Start {
    if (Test-LabRunning) {
        Write-Host "A Xen lab already runs: $StateFile"
        return
    }
    Invoke-BuildImage
    # A lab folder without a live QEMU is a leftover: clear it.
    Invoke-Stop
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $null = New-Item -ItemType Directory -Force -Path $LabDir
    [System.IO.File]::SetUnixFileMode($LabDir, [System.IO.UnixFileMode]0x1C0)
    try {
        $key = Join-Path $LabDir 'id_ed25519'
        $null = Invoke-Tool ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-C', 'virttest-xenlab', '-f', $key)
        $publicKey = (Get-Content -LiteralPath "$key.pub" -Raw).Trim()
        $keyArgument = [Convert]::ToBase64String([Text.Encoding]::ASCII.GetBytes($publicKey))
        $hostKey = (Get-Content -LiteralPath (Join-Path $ImageDir 'ssh_host_ed25519_key.pub') -Raw).Trim().Split(' ')[0..1] -join ' '
        $overlay = Join-Path $LabDir 'overlay.qcow2'
        $null = Invoke-Tool qemu-img @('create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', (Join-Path $ImageDir 'dom0.qcow2'), $overlay)
        $serialSocket = Join-Path $LabDir 'serial.sock'
        $serialLog = Join-Path $LabDir 'serial.log'
        $pidFile = Join-Path $LabDir 'qemu.pid'
        $knownHosts = Join-Path $LabDir 'known_hosts'

        $port = 0
        for ($attempt = 1; $attempt -le 5 -and $port -eq 0; $attempt++) {
            $candidate = Get-FreePort
            Write-LabFile $knownHosts "[$LabAddress]:$candidate $hostKey" 0x180
            $dom0Cmdline = "vmlinuz console=hvc0 earlyprintk=xen root=/dev/vda rw virttest.sshkey=$keyArgument"
            $xenCmdline = "console=com1 com1=115200,8n1 dom0_mem=$Dom0Memory,max:$Dom0Memory loglvl=all guest_loglvl=all noreboot"
            Write-Step "Booting Xen + dom0 in QEMU (TCG), SSH on $LabAddress`:$candidate"
            Push-Location -LiteralPath $ImageDir
            try {
                # -initrd: the multiboot modules, each 'file args', separated by commas.
                $qemuArgs = @('-name', 'virttest-xenlab', '-accel', 'tcg', '-cpu', 'qemu64,+svm,+npt', '-m', $QemuMemory, '-smp', '2',
                    '-nodefaults', '-display', 'none', '-monitor', 'none',
                    '-chardev', "socket,id=s0,path=$serialSocket,server=on,wait=off,logfile=$serialLog", '-serial', 'chardev:s0',
                    '-drive', "file=$overlay,if=virtio,format=qcow2,cache=unsafe",
                    '-netdev', "user,id=n0,restrict=on,hostfwd=tcp:$LabAddress`:$candidate-:22", '-device', 'virtio-net-pci,netdev=n0',
                    '-kernel', 'xen', '-append', $xenCmdline, '-initrd', "$dom0Cmdline,initrd.img",
                    '-daemonize', '-pidfile', $pidFile)
                $output = @(& qemu-system-x86_64 @qemuArgs 2>&1 | ForEach-Object { "$_" })
                $code = $LASTEXITCODE
            }
            finally { Pop-Location }
            if ($code -eq 0) { $port = $candidate; break }
            if (($output -join ' ') -notmatch 'hostfwd|Could not set up host forwarding') {
                throw "QEMU did not start (exit code $code): $($output -join "`n")"
            }
            Write-Host "Port $candidate was taken meanwhile; trying another."
        }
        if ($port -eq 0) { throw 'QEMU could not forward any of 5 free ports.' }

        $state = [pscustomobject][ordered]@{
            pid            = Get-QemuPid
            xenHost        = "root@$LabAddress`:$port"
            host           = $LabAddress
            sshPort        = $port
            user           = 'root'
            keyPath        = $key
            knownHostsPath = $knownHosts
            serialLog      = $serialLog
            labPath        = $LabDir
            imagePath      = $ImageDir
            bootSeconds    = $null
            xenVersion     = $null
        }
        Write-LabFile $StateFile (ConvertTo-Json $state) 0x180

        Write-Step "Waiting for 'xl info' over SSH (up to $BootTimeoutSeconds s)"
        $deadline = [DateTime]::UtcNow.AddSeconds($BootTimeoutSeconds)
        $last = ''
        while ($true) {
            if (-not (Test-LabProcess $state.pid)) { throw "QEMU exited while Xen booted. Serial console:`n$(Get-SerialTail)" }
            if ([DateTime]::UtcNow -ge $deadline) { throw "'xl info' did not answer over SSH within $BootTimeoutSeconds s (last: $last). Serial console:`n$(Get-SerialTail)" }
            $r = Invoke-Ssh $state @('xl', 'info')
            if ($r.ExitCode -eq 0) {
                $state.xenVersion = (@($r.Output | Where-Object { $_ -match '^xen_version\s*:' }) -replace '^xen_version\s*:\s*', '' | Select-Object -First 1)
                break
            }
            $last = ($r.Output | Select-Object -Last 1)
            Start-Sleep -Seconds 2
        }
        $state.bootSeconds = [Math]::Round($clock.Elapsed.TotalSeconds, 1)
        Write-LabFile $StateFile (ConvertTo-Json $state) 0x180
        Write-Host "Xen lab ready in $($state.bootSeconds) s: $($state.xenHost) (Xen $($state.xenVersion)); state in $StateFile" -ForegroundColor Green
    }
    catch {
        $message = "$_"
        try { Invoke-Stop } catch { Write-Warning "Cleaning up the failed lab: $_" }
        throw $message
    }
}

function Invoke-Status {
    $state = Read-LabState
    if ($null -eq $state) {
        Write-Host "No Xen lab runs ($StateFile does not exist)."
        return 1
    }
    $alive = Test-LabProcess ([int]$state.pid)
    Write-Host (ConvertTo-Json $state)
    Write-Host $(if ($alive) { "QEMU (pid $($state.pid)) is running." } else { "QEMU (pid $($state.pid)) is NOT running: stop the lab to clear its folder." })
    return [int](-not $alive)
}

$code = 0
switch ($Action) {
    'Prepare' { Invoke-Prepare }
    'Build' { Invoke-BuildImage }
    'Start' { Invoke-Start }
    'Stop' { Invoke-Stop }
    'Status' { $code = Invoke-Status }
}
exit $code
