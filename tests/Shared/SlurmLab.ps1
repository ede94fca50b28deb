# Shared by Pester files (dot-sourced in BeforeAll): a Slurm lab for one test file, started and
# stopped by build/SlurmLab.ps1 (the script build.ps1 -Task Cluster runs) in a folder of its
# own (virttest-slurmlab-*, which tests/zz-NoLeftover.Tests.ps1 looks for). Start-TestSlurmLab
# sets $env:SLURM_CONF for the file's tests; Stop-TestSlurmLab puts it back and removes the lab
# with everything running in it.
function Start-TestSlurmLab {
    param([int] $Nodes = 3, [int] $NodeMemoryMB = 2000, [int] $NodeCpus = 2)
    $script = Join-Path $PSScriptRoot '../../build/SlurmLab.ps1'
    $dir = Join-Path ([IO.Path]::GetTempPath()) ('virttest-slurmlab-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $lab = & $script -Action Start -Path $dir -Nodes $Nodes -NodeMemoryMB $NodeMemoryMB -NodeCpus $NodeCpus 6>$null
    $lab | Add-Member -NotePropertyName Script -NotePropertyValue $script
    $lab | Add-Member -NotePropertyName SavedSlurmConf -NotePropertyValue $env:SLURM_CONF
    $env:SLURM_CONF = $lab.SlurmConf
    return $lab
}

function Stop-TestSlurmLab($Lab) {
    if (-not $Lab) { return }
    $env:SLURM_CONF = $Lab.SavedSlurmConf
    & $Lab.Script -Action Stop -Path $Lab.Path
}

# Processes running inside the lab's node namespaces, by node: what each node runs now.
function Get-TestSlurmNodeProcess($Lab) {
    foreach ($node in $Lab.Nodes) {
        foreach ($id in @(& ip netns pids $node.Namespace 2>$null)) {
            $p = Get-Process -Id $id -ErrorAction SilentlyContinue
            if ($p) { [pscustomobject]@{ Node = $node.Name; Id = $p.Id; Name = $p.ProcessName; CommandLine = $p.CommandLine } }
        }
    }
}
