# Helpers shared by build.ps1 and the scripts under build/ (guests, labs, daemons).
# Import with: Import-Module (Join-Path $PSScriptRoot 'BuildCommon.psm1') -Force

Set-StrictMode -Version Latest

function Test-Root {
    return ((& id -u) -eq '0')
}

# Installs Debian packages that are missing, as root (apt-get waits up to 10 minutes for a
# dpkg lock another apt holds); for a non-root user it throws with the command to run.
# -Probe maps each package to a file (or command name) that proves it is installed; a
# package without a probe is looked up with dpkg-query.
function Install-DebianPackage {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string[]] $Name,
        [hashtable] $Probe = @{},
        # Why the packages are needed, for the message a non-root user sees.
        [string] $Purpose = 'VirtTest'
    )
    $missing = @(foreach ($package in $Name) {
            $p = $Probe[$package]
            $present = if ($p) {
                if ($p.Contains('/')) { Test-Path -LiteralPath $p } else { [bool](Get-Command $p -CommandType Application -ErrorAction Ignore) }
            }
            else {
                $status = & dpkg-query -W -f '${Status}' $package 2>$null
                $LASTEXITCODE -eq 0 -and $status -eq 'install ok installed'
            }
            if (-not $present) { $package }
        })
    if ($missing.Count -eq 0) { return }
    $install = @('-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends') + $missing
    if (-not (Test-Root)) {
        throw "Missing Debian packages for $Purpose`: $($missing -join ', '). Install them with: sudo apt-get install -y --no-install-recommends $($missing -join ' ')"
    }
    Write-Host "==> apt-get install $($missing -join ' ') ($Purpose)" -ForegroundColor Cyan
    $saved = $env:DEBIAN_FRONTEND
    $env:DEBIAN_FRONTEND = 'noninteractive'
    try {
        # A fresh machine may have no package index yet; an old one a stale index.
        & apt-get -o DPkg::Lock::Timeout=600 update -qq | Out-Host
        & apt-get @install | Out-Host
        if ($LASTEXITCODE -ne 0) { throw "apt-get $($install -join ' ') failed with exit code $LASTEXITCODE." }
    }
    finally { $env:DEBIAN_FRONTEND = $saved }
}

Export-ModuleMember -Function Test-Root, Install-DebianPackage
