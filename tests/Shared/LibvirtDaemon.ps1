# Shared by Pester files (dot-sourced in BeforeAll): a private libvirtd with the QEMU driver,
# started and stopped by build/libvirt-daemon.sh (the same script the xunit fixture uses).
# Start-TestLibvirtDaemon returns an object with the connection URI; pass it to
# Stop-TestLibvirtDaemon in AfterAll, which also destroys and undefines any domain left.
function Start-TestLibvirtDaemon {
    $script = Join-Path $PSScriptRoot '../../build/libvirt-daemon.sh'
    $dir = Join-Path ([IO.Path]::GetTempPath()) ('virttest-lvd-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $uri = & bash $script start $dir
    if ($LASTEXITCODE -ne 0) { throw "libvirt-daemon.sh start failed with exit code $LASTEXITCODE" }
    [pscustomobject]@{ Uri = ($uri | Select-Object -Last 1).Trim(); Directory = $dir; Script = $script }
}

function Stop-TestLibvirtDaemon($Daemon) {
    if (-not $Daemon) { return }
    & bash $Daemon.Script stop $Daemon.Directory
    if ($LASTEXITCODE -ne 0) { throw "libvirt-daemon.sh stop failed with exit code $LASTEXITCODE" }
}
