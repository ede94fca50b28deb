#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Builds the small Linux test guest (kernel + busybox initramfs) used by tests and the demo.

.DESCRIPTION
    Everything comes from Debian packages and nothing is installed on the host except the
    prerequisites (qemu-system-x86, qemu-utils, busybox-static, cpio and the host libraries
    copied into the initramfs: libc6, libcrypt1, zlib1g, libgmp10, all present on a normal
    Debian 12; installed with apt-get when running as root):

      vmlinuz      the Debian cloud kernel (linux-image-cloud-amd64), downloaded and unpacked
                   with dpkg-deb in a temporary directory, never installed
      initrd.img   gzip'd newc cpio: static busybox, the virtio-net, ACPI button, evdev,
                   virtio-rng and disk (virtio-blk, virtio-scsi, sd) modules in dependency
                   order, the dropbear SSH server with
                   OpenSSH's sftp-server (both from Debian packages unpacked like the
                   kernel, with their shared libraries and the dynamic loader) and an /init
                   that configures eth0 with DHCP, starts the power-button watcher and
                   dropbear, prints the ready line and keeps a root shell on the serial
                   console
      guest.json   manifest: kernel version, packages, modules, ready line, prompt regex,
                   recommended kernel parameters, SSH port, credentials and host key, and
                   the hash of the build inputs

    Logins: user root, password 'Guest-Pw-4711' (SHA-512 crypt hash in /etc/shadow, made at build
    time with busybox mkpasswd). dropbear listens on port 22 (password and public-key
    authentication, SFTP) with an ed25519 host key generated at build time; guest.json
    records its public key (sshHostKey) and fingerprint. The ready line is printed once
    dropbear listens (when eth0 is configured; that costs no wait, DHCP takes longer). The
    first connection waits ~1 s under TCG for the kernel's random pool unless QEMU has
    -device virtio-rng-pci. The shared libraries dropbear needs that Debian does not
    install by default (libtomcrypt1, libtommath1) come from downloaded packages, the
    others (libc6, libcrypt1, zlib1g, libgmp10) from the host, which must be Debian 12
    like the guest's packages.

    With virttest.login=1 the serial console shows '<hostname> login: ' and 'Password: '
    (send the password only after that prompt: login flushes earlier input; a password
    sent at once may still be echoed, busybox turns echo off just after the prompt),
    'Login incorrect' after a wrong one, and busybox login's own 'login[PID]: ...' log
    lines (no syslogd: they go to the console).

    The guest is cached: when OutputPath/guest.json records the same inputs hash (this
    script's content and the package versions), nothing is rebuilt.

    The guest powers off when the ACPI power button is pressed (QMP system_powerdown; QEMU
    then exits), printing 'virttest: power button pressed, powering off' on the console
    first, and when Xen asks it to shut down (xl shutdown; the kernel runs poweroff_cmd).
    'poweroff -f' at the guest shell powers off as well (plain 'poweroff' does not:
    PID 1 is the /init script, not busybox init).

    Kernel command-line options read by /init (virttest.X=Y):
      virttest.nonet=1           do not run DHCP on eth0
      virttest.nopowerbutton=1   ignore power-off requests: the ACPI power button
                                 (system_powerdown) and Xen's shutdown (xl shutdown)
      virttest.login=1           a getty on ttyS0 ('virttest-guest login:', 'Password:')
                                 instead of the direct root shell; respawned after logout
      virttest.sshkey=<base64>   base64 of an OpenSSH public key line, written to
                                 /root/.ssh/authorized_keys

.EXAMPLE
    dotnet pwsh ./build/New-TestGuest.ps1

.EXAMPLE
    qemu-system-x86_64 -machine pc -accel tcg -m 256 -nographic -nodefaults -serial stdio `
        -kernel .build/guest/vmlinuz -initrd .build/guest/initrd.img -append 'console=ttyS0 panic=-1 quiet' `
        -netdev user,id=n0 -device virtio-net-pci,netdev=n0 -no-reboot

.EXAMPLE
    # SSH (password virttest) and SFTP through a QEMU user-mode port forward:
    qemu-system-x86_64 ... -netdev user,id=n0,hostfwd=tcp:127.0.0.1:2222-:22 -device virtio-net-pci,netdev=n0
    ssh -p 2222 root@127.0.0.1
#>
[CmdletBinding()]
param(
    [string] $OutputPath = (Join-Path (Split-Path -Parent $PSScriptRoot) '.build/guest'),
    # Rebuild even when the cached guest is up to date.
    [switch] $Force
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $false

$MetaPackage = 'linux-image-cloud-amd64'
$BusyboxPackage = 'busybox-static'
$AptPackages = @('qemu-system-x86', 'qemu-utils', 'busybox-static', 'cpio')
$ReadyLine = 'VIRTTEST-GUEST-READY'
$HostName = 'virttest-guest'
$Prompt = '[virttest]# '
$KernelParams = 'console=ttyS0 panic=-1 quiet'
# Modules for virtio-net and the power button (name = optional), loaded in this order.
# Dependencies are added from each module's .modinfo. Optional ones may be absent
# (virtio_pci_legacy_dev only exists since 5.16; the cloud kernel does not build e1000 at
# all): the manifest lists them as missingModules. button (the ACPI power button as an
# input device) and evdev (its /dev/input/eventN) are what the power-button watcher in
# /init reads; without them the guest boots the same but ignores system_powerdown.
# virtio_rng: with QEMU's -device virtio-rng-pci the kernel's random pool is ready at once;
# without it the first SSH connection waits ~1 s (TCG) for the kernel's own entropy.
# virtio_blk, virtio_scsi and sd_mod: disks (virtio-blk, scsi-hd on virtio-scsi), also
# hot-plugged ones; devtmpfs makes their /dev nodes. The cloud kernel has no USB storage.
# xen_blkfront: paravirtual disks (xvdX) on Xen, also hot-plugged ones (xl block-attach);
# /init loads xen-* modules only under Xen (they refuse to load elsewhere).
$WantedModules = [ordered]@{
    virtio                = $false
    virtio_ring           = $false
    virtio_pci_modern_dev = $false
    virtio_pci_legacy_dev = $true
    virtio_pci            = $false
    failover              = $false
    net_failover          = $false
    virtio_net            = $false
    e1000                 = $true
    button                = $true
    evdev                 = $true
    virtio_rng            = $true
    virtio_blk            = $true
    sd_mod                = $true
    virtio_scsi           = $true
    xen_blkfront          = $true
}
# Name of the ACPI power button's input device (/sys/class/input/eventN/device/name).
$PowerButtonName = 'Power Button'
# SSH: dropbear (server) and OpenSSH's sftp-server, unpacked from these packages together
# with the libraries they need that a Debian host does not have (never installed).
$DropbearPackage = 'dropbear-bin'
$SftpPackage = 'openssh-sftp-server'
$SshPackages = @($DropbearPackage, 'libtomcrypt1', 'libtommath1', $SftpPackage)
# Packages of the host libraries copied into the initramfs (the build checks that every
# copied host library belongs to one of them; their versions are build inputs).
$HostLibraryPackages = @('libc6', 'libcrypt1', 'zlib1g', 'libgmp10')
$LibDir = 'lib/x86_64-linux-gnu'
$SshUser = 'root'
# Distinct from every word the guest prints (hostname, prompt), so tests can prove it is never logged.
$SshPassword = 'Guest-Pw-4711'
$SshPort = 22
$HostKeyPath = 'etc/dropbear/dropbear_ed25519_host_key'

# ---------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------

function Write-Step([string] $Message) {
    Write-Host "==> $Message" -ForegroundColor Cyan
}

function Test-Root {
    return (Invoke-Native id @('-u') -Capture) -eq '0'
}

# Runs a native command from an argument array (never a composed command string). With
# -Capture, returns its stdout lines and keeps stderr for the error message; otherwise the
# output goes to the host. Throws, naming the command, on a non-zero exit code.
function Invoke-Native {
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [switch] $Capture
    )
    if ($Capture) {
        $all = @(& $FilePath @ArgumentList 2>&1)
        $code = $LASTEXITCODE
        $stderr = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object { "$_" })
        $stdout = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] } | ForEach-Object { "$_" })
        $stderr | ForEach-Object { Write-Verbose "$FilePath`: $_" }
        if ($code -ne 0) {
            throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $code.`n$($stderr -join "`n")"
        }
        return $stdout
    }
    & $FilePath @ArgumentList | Out-Host
    if ($LASTEXITCODE -ne 0) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

# apt-get with DEBIAN_FRONTEND=noninteractive in its environment.
function Invoke-AptGet([string[]] $ArgumentList) {
    $saved = $env:DEBIAN_FRONTEND
    $env:DEBIAN_FRONTEND = 'noninteractive'
    try { Invoke-Native apt-get $ArgumentList }
    finally { $env:DEBIAN_FRONTEND = $saved }
}

# Candidate version from the apt index, or $null when the package is unknown (no index yet).
function Get-AptCandidate([string] $Package) {
    $line = Invoke-Native apt-cache @('policy', $Package) -Capture | Where-Object { $_ -match '^\s*Candidate:' }
    $version = if ($line) { ($line -replace '^\s*Candidate:\s*', '').Trim() } else { '' }
    if (-not $version -or $version -eq '(none)') { return $null }
    return $version
}

function Get-InstalledVersion([string] $Package) {
    $status = & dpkg-query -W -f '${Status}|${Version}' $Package 2>$null
    if ($LASTEXITCODE -ne 0 -or $status -notmatch '^install ok installed\|(.+)$') { return $null }
    return $Matches[1]
}

# Reads an ELF64 little-endian file; returns the named section's bytes, whether the file
# has a PT_INTERP program header (that is, is dynamically linked) and that interpreter.
function Read-Elf([string] $Path, [string] $SectionName) {
    $b = [System.IO.File]::ReadAllBytes($Path)
    if ($b.Length -lt 64 -or $b[0] -ne 0x7f -or $b[1] -ne 0x45 -or $b[2] -ne 0x4c -or $b[3] -ne 0x46 -or $b[4] -ne 2 -or $b[5] -ne 1) {
        throw "Not an ELF64 little-endian file: $Path"
    }
    $phoff = [int][BitConverter]::ToUInt64($b, 0x20); $phentsize = [int][BitConverter]::ToUInt16($b, 0x36); $phnum = [int][BitConverter]::ToUInt16($b, 0x38)
    $shoff = [int][BitConverter]::ToUInt64($b, 0x28); $shentsize = [int][BitConverter]::ToUInt16($b, 0x3A); $shnum = [int][BitConverter]::ToUInt16($b, 0x3C)
    $shstrndx = [int][BitConverter]::ToUInt16($b, 0x3E)
    $interp = $null
    for ($i = 0; $i -lt $phnum; $i++) {
        $h = $phoff + $i * $phentsize
        if ([BitConverter]::ToUInt32($b, $h) -eq 3) {
            $offset = [int][BitConverter]::ToUInt64($b, $h + 0x08); $size = [int][BitConverter]::ToUInt64($b, $h + 0x20)
            $interp = [Text.Encoding]::ASCII.GetString($b, $offset, $size).TrimEnd([char]0)
        }
    }
    $section = $null
    if ($SectionName -and $shnum -gt 0) {
        $names = [int][BitConverter]::ToUInt64($b, $shoff + $shstrndx * $shentsize + 0x18)
        for ($i = 0; $i -lt $shnum; $i++) {
            $h = $shoff + $i * $shentsize
            $n = $names + [int][BitConverter]::ToUInt32($b, $h)
            $end = [Array]::IndexOf($b, [byte]0, $n)
            if ([Text.Encoding]::ASCII.GetString($b, $n, $end - $n) -eq $SectionName) {
                $offset = [int][BitConverter]::ToUInt64($b, $h + 0x18); $size = [int][BitConverter]::ToUInt64($b, $h + 0x20)
                $section = [byte[]]::new($size)
                [Array]::Copy($b, $offset, $section, 0, $size)
                break
            }
        }
    }
    return [pscustomobject]@{ Section = $section; Dynamic = [bool]$interp; Interpreter = $interp }
}

# Module dependencies from the module's .modinfo 'depends=' (what depmod would write to
# modules.dep; the Debian package ships no modules.dep, depmod runs at install time).
function Get-ModuleDepends([string] $Path) {
    $info = (Read-Elf $Path '.modinfo').Section
    if (-not $info) { throw "No .modinfo section in $Path" }
    $depends = [Text.Encoding]::ASCII.GetString($info).Split([char]0) | Where-Object { $_ -like 'depends=*' }
    if (-not $depends) { return @() }
    return @($depends.Substring(8).Split(',') | Where-Object { $_ })
}

function ConvertTo-ModuleName([string] $FileName) {
    return ($FileName -replace '\.ko(\.\w+)?$', '') -replace '-', '_'
}

# Downloads a package's .deb into $Directory (apt-get download writes to the current
# directory) and returns its path; refreshes a stale index once when the download fails.
function Save-AptPackage([string] $Package, [string] $Directory) {
    Push-Location -LiteralPath $Directory
    try {
        try { $null = Invoke-Native apt-get @('download', $Package) -Capture }
        catch {
            if (-not (Test-Root)) { throw }
            Write-Host "apt-get download $Package failed; refreshing the package index and retrying."
            Invoke-AptGet @('update')
            $null = Invoke-Native apt-get @('download', $Package) -Capture
        }
    }
    finally { Pop-Location }
    $deb = Get-ChildItem -LiteralPath $Directory -Filter "$($Package)_*.deb" | Select-Object -First 1
    if (-not $deb) { throw "apt-get download $Package produced no .deb in $Directory" }
    return $deb.FullName
}

# The package that installed a host file, or $null. dpkg knows each file under the path its
# package ships it at, /lib/... or /usr/lib/... (merged /usr), so both are asked.
function Get-HostFilePackage([string] $Path) {
    $alias = if ($Path -like '/usr/*') { $Path.Substring(4) } else { "/usr$Path" }
    foreach ($candidate in $Path, $alias) {
        $lines = @(& dpkg -S $candidate 2>$null)
        if ($LASTEXITCODE -eq 0 -and $lines) { return ($lines[0] -split '[:,]')[0].Trim() }
    }
    return $null
}

function Write-TextFile([string] $Path, [string] $Text, [int] $Mode = 0x1A4) {
    $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Path)
    $Text = $Text -replace "`r`n", "`n"
    if (-not $Text.EndsWith("`n")) { $Text += "`n" }
    [System.IO.File]::WriteAllText($Path, $Text, [Text.UTF8Encoding]::new($false))
    [System.IO.File]::SetUnixFileMode($Path, [System.IO.UnixFileMode]$Mode)
}

# ---------------------------------------------------------------------------------
# steps
# ---------------------------------------------------------------------------------

# Installs the prerequisites as root, or tells a non-root user the apt command to run.
function Initialize-Prerequisites {
    $missing = @(foreach ($command in 'qemu-system-x86_64', 'qemu-img', 'cpio') {
            if (-not (Get-Command $command -CommandType Application -ErrorAction Ignore)) { $command }
        })
    foreach ($package in @($BusyboxPackage) + $HostLibraryPackages) {
        if (-not (Get-InstalledVersion $package)) { $missing += $package }
    }
    if ($missing.Count -eq 0) { return }

    $packages = $AptPackages + $HostLibraryPackages
    $install = @('install', '-y', '--no-install-recommends') + $packages
    if (-not (Test-Root)) {
        throw "Missing prerequisites: $($missing -join ', '). Install them with:`n  sudo apt-get install -y --no-install-recommends $($packages -join ' ')"
    }
    Write-Step "Installing prerequisites ($($missing -join ', '))"
    if (@($packages | Where-Object { -not (Get-AptCandidate $_) }).Count) { Invoke-AptGet @('update') }
    Invoke-AptGet $install
}

# The static busybox binary shipped by busybox-static (the busybox package is dynamic).
function Get-StaticBusybox {
    $path = Invoke-Native dpkg @('-L', $BusyboxPackage) -Capture | Where-Object { $_ -match '/bin/busybox$' } | Select-Object -First 1
    if (-not $path -or -not (Test-Path -LiteralPath $path)) { throw "$BusyboxPackage installs no bin/busybox." }
    if ((Read-Elf $path $null).Dynamic) { throw "$path is dynamically linked; the initramfs needs a static busybox." }
    return $path
}

# Downloads the kernel metapackage and follows its linux-image-* dependencies to the
# package that actually ships /boot/vmlinuz-*; unpacks that one into $Directory/root.
function Expand-Kernel([string] $Directory) {
    $packages = [System.Collections.Generic.List[object]]::new()
    $name = $MetaPackage
    for ($depth = 0; ; $depth++) {
        if ($depth -ge 5) { throw "No package with /boot/vmlinuz-* found from $MetaPackage." }
        Write-Step "Downloading $name"
        $deb = Save-AptPackage $name $Directory
        $version = (Invoke-Native dpkg-deb @('-f', $deb, 'Version') -Capture) -join ''
        $packages.Add([ordered]@{ name = $name; version = $version.Trim() })
        if (Invoke-Native dpkg-deb @('-c', $deb) -Capture | Where-Object { $_ -match '\./boot/vmlinuz-' }) { break }
        $depends = (Invoke-Native dpkg-deb @('-f', $deb, 'Depends') -Capture) -join ' '
        $next = $depends.Split(',') | ForEach-Object { $_.Split('|') } |
            ForEach-Object { ($_.Trim() -split '\s')[0] } | Where-Object { $_ -like 'linux-image-*' } | Select-Object -First 1
        if (-not $next) { throw "$name ships no kernel and depends on no linux-image-* package (Depends: $depends)." }
        $name = $next
    }
    $root = Join-Path $Directory 'root'
    Write-Step "Unpacking $name"
    Invoke-Native dpkg-deb @('-x', $deb, $root)
    $vmlinuz = @(Get-ChildItem -LiteralPath (Join-Path $root 'boot') -Filter 'vmlinuz-*')
    if ($vmlinuz.Count -ne 1) { throw "Expected one /boot/vmlinuz-* in $name, found $($vmlinuz.Count)." }
    $kernelVersion = $vmlinuz[0].Name.Substring('vmlinuz-'.Length)
    $moduleDir = Join-Path $root "lib/modules/$kernelVersion"
    if (-not (Test-Path -LiteralPath $moduleDir)) { throw "$name has no lib/modules/$kernelVersion." }
    return [pscustomobject]@{
        Version   = $kernelVersion
        Vmlinuz   = $vmlinuz[0].FullName
        ModuleDir = $moduleDir
        Packages  = $packages
    }
}

# Copies the wanted modules and their dependencies into the initramfs tree (decompressed:
# busybox insmod cannot load .ko.xz); returns them in load order, dependencies first.
function Copy-Modules($Kernel, [string] $Staging) {
    $builtinFile = Join-Path $Kernel.ModuleDir 'modules.builtin'
    $builtin = @{}
    if (Test-Path -LiteralPath $builtinFile) {
        Get-Content -LiteralPath $builtinFile | ForEach-Object { $builtin[(ConvertTo-ModuleName (Split-Path -Leaf $_))] = $true }
    }
    $files = @{}
    Get-ChildItem -LiteralPath (Join-Path $Kernel.ModuleDir 'kernel') -Recurse -File |
        Where-Object { $_.Name -match '\.ko(\.xz)?$' } |
        ForEach-Object { $files[(ConvertTo-ModuleName $_.Name)] = $_.FullName }

    $state = @{ Order = [System.Collections.Generic.List[object]]::new(); Seen = @{}; Builtin = @(); Missing = @() }
    $add = {
        param([string] $Name, [bool] $Optional)
        if ($state.Seen.ContainsKey($Name)) { return }
        $state.Seen[$Name] = $true
        if ($builtin.ContainsKey($Name)) { $state.Builtin += $Name; return }
        if (-not $files.ContainsKey($Name)) {
            if ($Optional) { $state.Missing += $Name; return }
            throw "Kernel module $Name is neither built in nor shipped in lib/modules/$($Kernel.Version)."
        }
        $source = $files[$Name]
        $relative = [System.IO.Path]::GetRelativePath($Kernel.ModuleDir, $source) -replace '\.xz$', ''
        $target = Join-Path $Staging "lib/modules/$($Kernel.Version)/$relative"
        $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $target)
        if ($source.EndsWith('.xz')) {
            Copy-Item -LiteralPath $source -Destination "$target.xz"
            Invoke-Native xz @('--decompress', '--force', "$target.xz")
        }
        else { Copy-Item -LiteralPath $source -Destination $target }
        $depends = Get-ModuleDepends $target
        foreach ($dep in $depends) { & $add $dep $false }
        $state.Order.Add([pscustomobject]@{ Name = $Name; Path = $relative; Depends = $depends })
    }
    foreach ($name in $WantedModules.Keys) { & $add $name $WantedModules[$name] }
    return [pscustomobject]@{ Order = $state.Order; Builtin = $state.Builtin; Missing = $state.Missing }
}

# Downloads the SSH packages and unpacks them into $Directory/ssh (never installed).
function Expand-Ssh([string] $Directory) {
    $debs = Join-Path $Directory 'ssh-debs'
    $root = Join-Path $Directory 'ssh'
    $null = New-Item -ItemType Directory -Force -Path $debs
    $packages = foreach ($name in $SshPackages) {
        Write-Step "Downloading $name"
        $deb = Save-AptPackage $name $debs
        Invoke-Native dpkg-deb @('-x', $deb, $root)
        [ordered]@{ name = $name; version = ((Invoke-Native dpkg-deb @('-f', $deb, 'Version') -Capture) -join '').Trim() }
    }
    $ssh = [pscustomobject]@{
        Packages    = @($packages)
        Root        = $root
        Dropbear    = Join-Path $root 'usr/sbin/dropbear'
        Dropbearkey = Join-Path $root 'usr/bin/dropbearkey'
        SftpServer  = Join-Path $root 'usr/lib/openssh/sftp-server'
        LibraryPath = Join-Path $root "usr/$LibDir"
        Loader      = $null
        SftpPath    = $null
    }
    foreach ($file in $ssh.Dropbear, $ssh.Dropbearkey, $ssh.SftpServer) {
        if (-not (Test-Path -LiteralPath $file -PathType Leaf)) { throw "$($SshPackages -join ', ') unpacked no $file." }
    }
    $ssh.Loader = (Read-Elf $ssh.Dropbear $null).Interpreter
    if (-not $ssh.Loader) { throw "$($ssh.Dropbear) is not dynamically linked." }
    if (-not (Test-Path -LiteralPath $ssh.Loader)) { throw "The host has no $($ssh.Loader) (dropbear's dynamic loader); the build needs an amd64 Debian 12 host." }
    # SFTPSERVER_PATH, what dropbear runs for the sftp subsystem (Debian: /usr/lib/sftp-server).
    $strings = [Text.Encoding]::ASCII.GetString([System.IO.File]::ReadAllBytes($ssh.Dropbear))
    $match = [regex]::Match($strings, '(?<=\0)/[\w./-]*sftp-server(?=\0)')
    if (-not $match.Success) { throw "No sftp-server path compiled into $($ssh.Dropbear)." }
    $ssh.SftpPath = $match.Value
    return $ssh
}

# Runs an unpacked binary on the host through the dynamic loader, the unpacked libraries
# first in its search path; returns its stdout lines.
function Invoke-Unpacked($Ssh, [string] $Path, [string[]] $ArgumentList) {
    return Invoke-Native $Ssh.Loader (@('--library-path', $Ssh.LibraryPath, $Path) + $ArgumentList) -Capture
}

# Puts dropbear, sftp-server, their shared libraries (from the unpacked packages or the
# host) and the dynamic loader into the initramfs tree; generates the host key and the
# root password hash. Returns the host's public key and its fingerprint.
function Copy-Ssh($Ssh, [string] $Busybox, [string] $Staging) {
    $sftpTarget = '/usr/lib/openssh/sftp-server'
    foreach ($file in @(@($Ssh.Dropbear, '/usr/sbin/dropbear'), @($Ssh.SftpServer, $sftpTarget))) {
        $target = Join-Path $Staging $file[1].TrimStart('/')
        $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $target)
        [System.IO.File]::Copy($file[0], $target, $true)
        [System.IO.File]::SetUnixFileMode($target, [System.IO.UnixFileMode]0x1ED)
    }
    if ($Ssh.SftpPath -ne $sftpTarget) {
        $link = Join-Path $Staging $Ssh.SftpPath.TrimStart('/')
        $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $link)
        $null = [System.IO.File]::CreateSymbolicLink($link, $sftpTarget)
    }

    # What the loader resolves (ld.so --list is ldd without the wrapper): the unpacked
    # libraries first, then the host's. All go to /lib/x86_64-linux-gnu, which the loader
    # searches by default (the initramfs has no ld.so.cache).
    $libraries = [ordered]@{}
    foreach ($binary in $Ssh.Dropbear, $Ssh.SftpServer) {
        foreach ($line in Invoke-Native $Ssh.Loader @('--library-path', $Ssh.LibraryPath, '--list', $binary) -Capture) {
            if ($line -match '^\s*(\S+) => not found') { throw "$binary needs $($Matches[1]), which neither $($SshPackages -join ', ') nor the host has." }
            if ($line -match '^\s*(\S+) => (/\S+) \(0x') { $libraries[$Matches[1]] = $Matches[2] }
        }
    }
    $hostFiles = @($libraries.Values | Where-Object { -not $_.StartsWith($Ssh.Root + '/') }) + $Ssh.Loader
    foreach ($file in $hostFiles) {
        $package = Get-HostFilePackage $file
        if ($package -notin $HostLibraryPackages) { throw "Host library $file comes from $(if ($package) { $package } else { 'no package' }), not from one of `$HostLibraryPackages." }
    }
    $null = New-Item -ItemType Directory -Force -Path (Join-Path $Staging $LibDir)
    foreach ($library in $libraries.GetEnumerator()) {
        # File.Copy follows symlinks: the file lands under its soname.
        [System.IO.File]::Copy($library.Value, (Join-Path $Staging "$LibDir/$($library.Key)"), $true)
    }
    $loader = Join-Path $Staging $Ssh.Loader.TrimStart('/')
    $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $loader)
    [System.IO.File]::Copy($Ssh.Loader, $loader, $true)

    Write-Step 'Generating the SSH host key (ed25519)'
    $key = Join-Path $Staging $HostKeyPath
    $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $key)
    $null = Invoke-Unpacked $Ssh $Ssh.Dropbearkey @('-t', 'ed25519', '-f', $key)
    [System.IO.File]::SetUnixFileMode($key, [System.IO.UnixFileMode]0x180)
    $line = Invoke-Unpacked $Ssh $Ssh.Dropbearkey @('-y', '-f', $key) | Where-Object { $_ -match '^ssh-ed25519 \S+' } | Select-Object -First 1
    if (-not $line) { throw "dropbearkey -y printed no ssh-ed25519 public key." }
    # Type and base64 blob, without dropbearkey's comment (the build host's user@name).
    $fields = $line.Split(' ')
    $publicKey = "$($fields[0]) $($fields[1])"
    $digest = [System.Security.Cryptography.SHA256]::HashData([Convert]::FromBase64String($fields[1]))
    $fingerprint = 'SHA256:' + [Convert]::ToBase64String($digest).TrimEnd('=')

    $hash = (Invoke-Native $Busybox @('mkpasswd', '-m', 'sha512', $SshPassword) -Capture | Select-Object -First 1).Trim()
    if ($hash -notmatch '^\$6\$[^:]+$') { throw "busybox mkpasswd -m sha512 printed no SHA-512 crypt hash: $hash" }
    # Last change today, never expires. busybox login rejects a line whose numeric fields
    # (last change, min, max, warn) are empty: it then reads as no shadow entry at all.
    $days = [int][Math]::Floor(([DateTime]::UtcNow - [DateTime]::UnixEpoch).TotalDays)
    Write-TextFile (Join-Path $Staging 'etc/shadow') "$($SshUser):$($hash):$($days):0:99999:7:::`n" 0x180
    Write-TextFile (Join-Path $Staging 'etc/shells') "/bin/sh`n/bin/ash`n"
    Write-TextFile (Join-Path $Staging 'etc/nsswitch.conf') "passwd: files`ngroup: files`nshadow: files`n"
    return [pscustomobject]@{ PublicKey = $publicKey; Fingerprint = $fingerprint }
}

function New-InitScript($Kernel, $Modules) {
    $moduleList = ($Modules.Order | ForEach-Object { "    $($_.Path)" }) -join " \`n"
    return @"
#!/bin/sh
# VirtTest test guest init (PID 1), generated by build/New-TestGuest.ps1.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
# Pseudo-terminals for SSH sessions (/dev/ptmx from devtmpfs uses this instance).
mkdir -p /dev/pts
mount -t devpts -o ptmxmode=0666 devpts /dev/pts

# Options from the kernel command line: virttest.X=Y (add new ones as cases here).
nonet=0
nopowerbutton=0
login=0
sshkey=
for opt in `$(cat /proc/cmdline); do
    case "`$opt" in
        virttest.nonet=*) nonet="`${opt#*=}" ;;
        virttest.nopowerbutton=*) nopowerbutton="`${opt#*=}" ;;
        virttest.login=*) login="`${opt#*=}" ;;
        virttest.sshkey=*) sshkey="`${opt#*=}" ;;
        virttest.*) echo "virttest: unknown option `$opt" ;;
    esac
done

# Dependencies first (computed from the modules' .modinfo at build time).
hypervisor=`$(cat /sys/hypervisor/type 2>/dev/null)
cd /lib/modules/$($Kernel.Version)
for m in \
$moduleList
do
    case "`$m" in */xen-*) [ "`$hypervisor" = xen ] || continue ;; esac
    insmod "`$m" || echo "virttest: insmod `$m failed"
done
cd /

hostname -F /etc/hostname
ifconfig lo 127.0.0.1 up

# virttest.sshkey=<base64 of a public key line> authorizes that key for root.
if [ -n "`$sshkey" ]; then
    mkdir -p /root/.ssh
    chmod 700 /root/.ssh
    { echo "`$sshkey" | base64 -d && echo; } > /root/.ssh/authorized_keys 2>/dev/null ||
        echo "virttest: virttest.sshkey is not valid base64"
    chmod 600 /root/.ssh/authorized_keys
fi
# SSH server (password or key; sftp), started before DHCP so that its start-up overlaps the
# lease. -F (no fork): a daemonizing dropbear would close stderr, which -E logs to (kept
# off the console). It writes the pid file once its socket listens.
dropbear -F -E -p $SshPort -r /$HostKeyPath -P /run/dropbear.pid </dev/null >/dev/null 2>/tmp/dropbear.log &
dropbear_pid=`$!

# Bounded (3 discovers, 1 s apart) so a NIC without a DHCP server cannot hang the boot.
if [ "`$nonet" != 1 ] && [ -e /sys/class/net/eth0 ]; then
    udhcpc -i eth0 -q -n -t 3 -T 1 -s /usr/share/udhcpc/default.script >/dev/null 2>&1 ||
        echo "virttest: no DHCP lease on eth0"
fi

# ACPI power button (QMP system_powerdown) -> power off. One background watcher per
# '$PowerButtonName' input device blocks in read() on its /dev/input/eventN (silent, no
# polling): that device reports nothing but KEY_POWER, so any event is a press. The device
# is opened here, by PID 1 before the ready line, so a press right after it is never lost
# (evdev queues events for every open file). poweroff -f: PID 1 is this script, not
# busybox init, so a plain poweroff would signal nobody.
power_button_watch() {
    dd of=/dev/null bs=4096 count=1 2>/dev/null || return
    printf '\nvirttest: power button pressed, powering off\n'
    exec poweroff -f
}
if [ "`$nopowerbutton" != 1 ]; then
    # Xen's shutdown request (xl shutdown) makes the guest kernel run poweroff_cmd, by
    # default /sbin/poweroff: busybox poweroff signals PID 1, which this script ignores.
    echo '/bin/busybox poweroff -f' > /proc/sys/kernel/poweroff_cmd
    found=0
    for n in /sys/class/input/event*/device/name; do
        name=
        read -r name 2>/dev/null < "`$n"
        [ "`$name" = '$PowerButtonName' ] || continue
        e=`${n%/device/name}
        e=/dev/input/`${e##*/}
        # A failed redirection on a { } group only fails the group (exec 3< would end PID 1).
        { power_button_watch <&3 3<&- & } 3<"`$e" && found=1
    done
    [ "`$found" = 1 ] || echo "virttest: no '$PowerButtonName' input device (button/evdev modules?); system_powerdown will be ignored"
fi

# The ready line means SSH is up: wait (at most 5 s) for dropbear's pid file. DHCP takes
# longer than dropbear's start, so this normally costs nothing; without a network
# (virttest.nonet=1 or no NIC) SSH is unreachable anyway and the ready line does not wait.
if [ "`$nonet" != 1 ] && [ -e /sys/class/net/eth0 ]; then
    i=0
    while [ ! -s /run/dropbear.pid ] && [ `$i -lt 500 ] && kill -0 `$dropbear_pid 2>/dev/null; do
        usleep 10000
        i=`$((i + 1))
    done
    [ -s /run/dropbear.pid ] || echo "virttest: dropbear is not listening on port $SshPort (see /tmp/dropbear.log)"
fi

echo $ReadyLine
# PID 1 must never exit (kernel panic). virttest.login=1: a real login on the serial port
# (getty prints '$HostName login: ', login asks 'Password:' and checks /etc/shadow, then
# starts a login shell, which reads /etc/profile), a new getty after each logout.
if [ "`$login" = 1 ]; then
    while :; do
        getty -L 115200 ttyS0
    done
fi
# Otherwise respawn the shell. setsid + cttyhack give the shell the console tty as its
# controlling terminal, hence job control and Ctrl+C.
while :; do
    setsid cttyhack sh -l
    echo "virttest: shell exited, restarting"
done
"@
}

$UdhcpcScript = @'
#!/bin/sh
# udhcpc event hook: apply the lease to $interface (address, default route, DNS).
case "$1" in
    deconfig)
        ifconfig "$interface" 0.0.0.0 up
        ;;
    bound|renew)
        ifconfig "$interface" "$ip" ${subnet:+netmask "$subnet"} ${broadcast:+broadcast "$broadcast"} up
        while route del default dev "$interface" 2>/dev/null; do :; done
        for r in $router; do
            route add default gw "$r" dev "$interface"
            break
        done
        : > /etc/resolv.conf
        [ -n "$domain" ] && echo "search $domain" >> /etc/resolv.conf
        for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
        ;;
esac
exit 0
'@

function New-Initramfs($Kernel, $Ssh, [string] $Busybox, [string] $WorkDir, [string] $Destination) {
    $staging = Join-Path $WorkDir 'initramfs'
    foreach ($dir in 'bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'tmp', 'run', 'etc', 'root', 'mnt', 'etc/udhcpc') {
        $null = New-Item -ItemType Directory -Force -Path (Join-Path $staging $dir)
    }
    Copy-Item -LiteralPath $Busybox -Destination (Join-Path $staging 'bin/busybox')
    [System.IO.File]::SetUnixFileMode((Join-Path $staging 'bin/busybox'), [System.IO.UnixFileMode]0x1ED)
    foreach ($applet in Invoke-Native $Busybox @('--list-full') -Capture) {
        $link = Join-Path $staging $applet
        if ($applet -in 'bin/busybox', 'linuxrc' -or (Test-Path -LiteralPath $link)) { continue }
        $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $link)
        $null = [System.IO.File]::CreateSymbolicLink($link, '/bin/busybox')
    }
    # No dev/console node (it would need root): the kernel's built-in initramfs already
    # has one, and it is open as /init's stdin/stdout before /init runs.

    Write-Step 'Copying kernel modules'
    $modules = Copy-Modules $Kernel $staging
    # A modules.dep for the copied subset lets 'modprobe' work in the guest too.
    $dep = ($modules.Order | ForEach-Object {
            $deps = foreach ($d in $_.Depends) { ($modules.Order | Where-Object Name -EQ $d).Path }
            "$($_.Path):$(if ($deps) { ' ' + ($deps -join ' ') })"
        }) -join "`n"
    Write-TextFile (Join-Path $staging "lib/modules/$($Kernel.Version)/modules.dep") "$dep`n"

    Write-Step 'Copying dropbear, sftp-server and their libraries'
    $sshInfo = Copy-Ssh $Ssh $Busybox $staging

    Write-TextFile (Join-Path $staging 'init') (New-InitScript $Kernel $modules) 0x1ED
    Write-TextFile (Join-Path $staging 'usr/share/udhcpc/default.script') $UdhcpcScript 0x1ED
    $null = [System.IO.File]::CreateSymbolicLink((Join-Path $staging 'etc/udhcpc/default.script'), '/usr/share/udhcpc/default.script')
    Write-TextFile (Join-Path $staging 'etc/passwd') "root:x:0:0:root:/root:/bin/sh`n"
    Write-TextFile (Join-Path $staging 'etc/group') "root:x:0:`n"
    Write-TextFile (Join-Path $staging 'etc/hostname') "$HostName`n"
    Write-TextFile (Join-Path $staging 'etc/profile') @"
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
export PS1='$Prompt'
cd /root
"@

    Write-Step 'Packing initrd.img (newc cpio, gzip)'
    # Same as 'find . | cpio -o -H newc', without a shell: the (sorted, so parents come
    # first) name list goes to cpio's stdin and cpio writes the archive to a file itself.
    $names = @('.') + @(Get-ChildItem -LiteralPath $staging -Recurse -Force |
            ForEach-Object { './' + [System.IO.Path]::GetRelativePath($staging, $_.FullName) })
    $names = [string[]]$names
    [Array]::Sort($names, [StringComparer]::Ordinal)
    $cpioFile = Join-Path $WorkDir 'initrd.cpio'
    $psi = [System.Diagnostics.ProcessStartInfo]::new('cpio')
    foreach ($a in '-o', '-H', 'newc', '-R', '0:0', '--quiet', '-O', $cpioFile) { $psi.ArgumentList.Add($a) }
    $psi.WorkingDirectory = $staging
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardError = $true
    $psi.StandardInputEncoding = [Text.UTF8Encoding]::new($false)
    $process = [System.Diagnostics.Process]::Start($psi)
    $stderr = $process.StandardError.ReadToEndAsync()
    foreach ($n in $names) { $process.StandardInput.Write("$n`n") }
    $process.StandardInput.Close()
    $process.WaitForExit()
    if ($process.ExitCode -ne 0) { throw "cpio failed with exit code $($process.ExitCode).`n$($stderr.Result)" }

    $in = [System.IO.File]::OpenRead($cpioFile)
    try {
        $out = [System.IO.File]::Create($Destination)
        try {
            $gzip = [System.IO.Compression.GZipStream]::new($out, [System.IO.Compression.CompressionLevel]::SmallestSize)
            try { $in.CopyTo($gzip) } finally { $gzip.Dispose() }
        }
        finally { $out.Dispose() }
    }
    finally { $in.Dispose() }
    return [pscustomobject]@{ Modules = $modules; Ssh = $sshInfo }
}

# ---------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------

Initialize-Prerequisites
$busybox = Get-StaticBusybox

# Versions of the packages the build downloads (apt candidates) and of those it takes from
# the host (installed). The kernel metapackage's version changes with every kernel ABI or
# package update.
$downloaded = @($MetaPackage) + $SshPackages
$versions = [ordered]@{}
foreach ($package in $downloaded) { $versions[$package] = Get-AptCandidate $package }
$unknown = @($downloaded | Where-Object { -not $versions[$_] })
if ($unknown) {
    if (-not (Test-Root)) { throw "$($unknown -join ', ') unknown to apt; run 'sudo apt-get update' first." }
    Invoke-AptGet @('update')
    foreach ($package in $unknown) {
        $versions[$package] = Get-AptCandidate $package
        if (-not $versions[$package]) { throw "$package is not available from the configured apt sources." }
    }
}
$busyboxVersion = Get-InstalledVersion $BusyboxPackage
$hostPackages = @(foreach ($package in $HostLibraryPackages) { [ordered]@{ name = $package; version = Get-InstalledVersion $package } })
$inputsText = "$([System.IO.File]::ReadAllText($PSCommandPath))`n" +
    (@($versions.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) -join "`n") + "`n$BusyboxPackage=$busyboxVersion`n" +
    (@($hostPackages | ForEach-Object { "$($_.name)=$($_.version) (host)" }) -join "`n") + "`n"
$inputs = [Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($inputsText))).ToLowerInvariant()

$OutputPath = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutputPath)
$manifestPath = Join-Path $OutputPath 'guest.json'
if (-not $Force -and (Test-Path -LiteralPath $manifestPath)) {
    $cached = Get-Content -LiteralPath $manifestPath -Raw | ConvertFrom-Json
    $complete = (Test-Path -LiteralPath (Join-Path $OutputPath 'vmlinuz')) -and (Test-Path -LiteralPath (Join-Path $OutputPath 'initrd.img'))
    if ($complete -and $cached.PSObject.Properties['inputs'] -and $cached.inputs -eq $inputs) {
        Write-Host "Test guest is up to date: $OutputPath"
        exit 0
    }
}

$work = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-guest-$([guid]::NewGuid().ToString('n'))"
$null = New-Item -ItemType Directory -Path $work
try {
    $kernel = Expand-Kernel $work
    $initrd = Join-Path $work 'initrd.img'
    $ssh = Expand-Ssh $work
    $initramfs = New-Initramfs $kernel $ssh $busybox $work $initrd
    $modules = $initramfs.Modules

    Write-Step "Writing $OutputPath"
    $null = New-Item -ItemType Directory -Force -Path $OutputPath
    # The manifest goes last: without it a half-written output never counts as cached.
    Remove-Item -LiteralPath $manifestPath -Force -ErrorAction Ignore
    # Copy, then rename over the old file: a QEMU started meanwhile reads a whole old or new file.
    foreach ($file in @(@($kernel.Vmlinuz, 'vmlinuz'), @($initrd, 'initrd.img'))) {
        $target = Join-Path $OutputPath $file[1]
        Copy-Item -LiteralPath $file[0] -Destination "$target.tmp" -Force
        [System.IO.File]::Move("$target.tmp", $target, $true)
    }
    $manifest = [ordered]@{
        kernelVersion  = $kernel.Version
        kernel         = 'vmlinuz'
        initrd         = 'initrd.img'
        packages       = @($kernel.Packages) + @([ordered]@{ name = $BusyboxPackage; version = $busyboxVersion }) + $ssh.Packages
        # Shared libraries for dropbear and sftp-server copied from the host.
        hostPackages   = $hostPackages
        modules        = @($modules.Order | ForEach-Object Name)
        builtinModules = @($modules.Builtin)
        missingModules = @($modules.Missing)
        hostname       = $HostName
        readyLine      = $ReadyLine
        # busybox ash may follow the prompt with ESC[6n (cursor position query).
        shellPrompt    = '\[virttest\]# '
        kernelParams   = $KernelParams
        cmdlineOptions = [ordered]@{
            'virttest.nonet'         = '1: do not run DHCP on eth0'
            'virttest.nopowerbutton' = '1: ignore power-off requests (the ACPI power button, QMP system_powerdown; Xen''s xl shutdown); by default the guest runs poweroff -f and QEMU exits or Xen destroys the domain'
            'virttest.login'         = "1: a getty on ttyS0 (login prompt, then 'Password:') instead of the direct root shell; respawned after logout"
            'virttest.sshkey'        = 'base64 of an OpenSSH public key line: written to /root/.ssh/authorized_keys'
        }
        # Serial login (virttest.login=1) and SSH (dropbear, password or key; SFTP).
        username       = $SshUser
        password       = $SshPassword
        loginPrompt    = 'login: '
        passwordPrompt = 'Password: '
        sshPort        = $SshPort
        sshHostKey     = $initramfs.Ssh.PublicKey
        sshHostKeyFingerprint = $initramfs.Ssh.Fingerprint
        inputs         = $inputs
        builtAt        = [DateTime]::UtcNow.ToString('o')
    }
    Write-TextFile $manifestPath (ConvertTo-Json $manifest -Depth 5)
    Write-Host "Test guest ready: $OutputPath (kernel $($kernel.Version), modules: $($manifest.modules -join ' '))" -ForegroundColor Green
}
finally {
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}
