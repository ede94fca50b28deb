# Shared by Pester files (dot-sourced): the params that put a VM on the nested Xen lab
# (build/XenLab.ps1; build.ps1 -Task Test starts it and sets VIRTTEST_XEN_LAB). Returns $null
# when no lab runs, so a spec can skip its Xen variant saying how to start one.
function Get-XenLabParams {
    $folder = if ($env:VIRTTEST_XEN_LAB) { $env:VIRTTEST_XEN_LAB } else { Join-Path $PSScriptRoot '../../.build/xenlab/lab' }
    $state = Join-Path $folder 'lab.json'
    if (-not (Test-Path -LiteralPath $state)) { return $null }
    $lab = Get-Content -LiteralPath $state -Raw | ConvertFrom-Json
    # The test guest's kernel as a PV guest: its console is hvc0; the lab has no bridge for vifs.
    @{
        xen_host             = $lab.xenHost
        xen_host_key         = $lab.keyPath
        xen_host_known_hosts = $lab.knownHostsPath
        xen_host_key_policy  = 'strict'
        kernel_params        = 'console=hvc0 panic=-1 quiet virttest.nonet=1'
        nics                 = ''
        login_timeout        = '240'
    }
}

$script:XenLabHint = "no Xen lab runs: start one with 'dotnet pwsh ./build.ps1 -Task XenLab' (build.ps1 -Task Test starts it)"
