# Help source for Invoke-VirtTestRun (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Runs every test of a Cartesian config with parallel workers, or as Slurm jobs on a cluster, and writes results.json, junit.xml and report.html.'

    Description = @(
        'Invoke-VirtTestRun expands the config files (with -Filter lines applied) and runs each test dictionary. The type param names the test: <type>.ps1 (a script) or <type>.Tests.ps1 (a Pester spec) in the -TestPath folders. A script gets $Params (the test''s params), $Env (the live VMs of its worker), $Vm (the main VM), $Session (a logged-in shell on it) and $TestDirectory (its folder in the results), as variables and as parameters when it declares them; $ErrorActionPreference is Stop, so any error fails the test.'
        'Before each test the params drive the env pre-processing: kill_vm_before_test, create_image (qemu-img, with image_size and image_format), start_vm (a running VM is reused when its definition did not change; restart_vm forces a new one), paused_after_start_vm, test_guest = yes (the project''s test guest), required_capabilities (a missing one skips the test). After it: kill_vm, kill_vm_gracefully, kill_vm_timeout, kill_unresponsive_vms, remove_image; for a failed test a final screenshot and the console output of its time are saved; take_regular_screendumps = yes saves screenshots every screendump_delay seconds.'
        'Statuses: PASS; FAIL (the script threw: its message is the reason); ERROR (set-up failed, a VM died, the test timed out after test_timeout or -TimeoutSec seconds); SKIP (a capability the backend lacks, a dependency (dep) that did not pass, or the script threw [VirtTest.Core.Runner.TestSkippedException]); CANCEL (Ctrl+C or Stop-VirtTestRun). Each worker has its own VMs; tests are placed by the memory and CPUs their VMs need, and MAC addresses and ports come from pools shared by parallel runs.'
        'One result object is written per finished test; results.json is rewritten after each, so an interrupted run leaves a valid folder that Get-VirtTestResult reads. Ctrl+C stops all workers, kills every VM and keeps the results so far. Write-Progress shows the run and each worker.'
        'With -Cluster Slurm every test becomes one Slurm job (sbatch --requeue) asking for the memory and CPUs its VMs need (the numbers the local scheduler places by), a time limit of test_timeout (or -TimeoutSec) plus 5 minutes, and node features from its VMs'' backends (qemu, libvirt, xen; the param slurm_constraint replaces them, -Constraint adds to every job). dep becomes an afterok dependency. The job runs pwsh with this module on its node (Invoke-VirtTestJob), which runs the test as a worker would and writes its result under jobs/<job id>/attempt<N> of the results folder, which must be visible at the same path on every node. The controller polls the jobs (squeue --json, scontrol show job), shows each node''s tests with Write-Progress and merges the results into the same results.json, junit.xml and report.html, with the node of each test. A test whose node dies is requeued by Slurm and runs again elsewhere: its result is the final attempt''s, and the earlier attempts are recorded with their node and reason. A test with migration_dest_host = auto gets two nodes and can move its VM to the other one (Move-VirtVm -Destination). Ctrl+C or Stop-VirtTestRun cancels every job (scancel) and marks the run interrupted.'
        'Before anything is submitted, a cluster run checks that the Slurm client is installed, that SLURM_CONF (when set) names a file, that the partition exists, and that every test fits on some node of it: each is a clear error (VirtTest.Slurm.NotInstalled, Slurm.ConfigNotFound, Slurm.PartitionNotFound, Slurm.TestTooLarge).'
    )

    Parameters  = @{
        Path         = 'Specifies the config files; several form one configuration. Accepts files from Get-ChildItem (by FullName) from the pipeline.'
        Filter       = 'Specifies filter lines applied after the files, as Expand-VirtConfig does ("only a..b", "no c"; a bare filter means "only").'
        TestPath     = 'Specifies the folders searched for <type>.ps1 and <type>.Tests.ps1, in order. The default is the tests folder beside the first config file, or that file''s folder.'
        Jobs         = 'Specifies how many tests run at once. 0 (the default) uses one worker per CPU, fewer if memory cannot hold them.'
        OutputPath   = 'Specifies the results folder. The default is results/<date-time> under the current location.'
        TimeoutSec   = 'Specifies the timeout of a test whose params have no test_timeout, in seconds. The default is 1800.'
        PassThru     = 'Also writes the run''s summary (a RunSummary) after the results.'
        NoCache      = 'Parses the config files without the parse cache (see Expand-VirtConfig): no cache entry is read or written.'
        AsJob        = 'Runs in the background and returns a VirtTestRunJob: Receive-Job gets the results, Stop-VirtTestRun (or Stop-Job) interrupts it.'
        Cluster      = 'Specifies who runs the tests: Local (the default: workers in this process) or Slurm (one Slurm job per test on the cluster that the Slurm client commands reach, SLURM_CONF).'
        Partition    = 'Specifies the Slurm partition for -Cluster Slurm. The default is the cluster''s default partition.'
        Constraint   = 'Specifies node features every job of a -Cluster Slurm run asks for, in Slurm''s --constraint syntax; they are ANDed with the features of each test''s backends.'
        WhatIf       = 'Shows what would run (how many tests, where the results go) without running anything.'
        Confirm      = 'Asks for confirmation before the run starts.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Config file paths, by value or from the FullName property.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Runner.TestResult'; Description = 'One per finished test: Index, Name, ShortName, Status, Reason, Duration, Worker, Logs, Screenshots, Params, ResultsPath; in a cluster run also Node and Cluster (the Slurm job, attempt, submit and merge times, earlier attempts).' }
        @{ Type = 'VirtTest.Core.Runner.RunSummary'; Description = 'With -PassThru: counts per status, the verdict and the duration.' }
        @{ Type = 'VirtTest.PowerShell.Internal.VirtTestRunJob'; Description = 'With -AsJob: the background run.' }
    )

    Notes       = @(
        'Workers run in this process, each with its own runspace that imports VirtTest. A test body that ignores cancellation is abandoned after 15 s (its VMs are killed first) and the worker continues with a fresh runspace.'
    )

    Examples    = @(
        @{
            Title   = 'A run without VMs: one test passes, one fails, one is skipped by its dependency'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-example-$PID"
$null = New-Item -ItemType Directory -Path $dir
Set-Content -Path "$dir/run.cfg" -Value @"
start_vm = no
type = arithmetic
variants:
    - right:
        expected = 4
    - wrong:
        expected = 5
    - after_wrong: wrong
        expected = 4
"@
Set-Content -Path "$dir/arithmetic.ps1" -Value 'param($Params) if (2 + 2 -ne [int]$Params.expected) { throw "2 + 2 is not $($Params.expected)" }'
Invoke-VirtTestRun -Path "$dir/run.cfg" -TestPath $dir -OutputPath "$dir/results" -Jobs 2 | Format-Table Status, ShortName, Reason
Get-ChildItem "$dir/results" -File | Select-Object Name
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'The config has three tests of type arithmetic (arithmetic.ps1 in -TestPath). right passes, wrong fails with the script''s message, after_wrong (declared as depending on wrong, after the colon) is skipped because its dependency failed. The results folder holds results.json, junit.xml and report.html.'
        }
        @{
            Title   = 'The example run on the test guest, with its three reports'
            Code    = @'
$out = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-run-$PID"
$summary = Invoke-VirtTestRun -Path ./examples/run/run.cfg -TestPath ./examples/run/tests, ./examples -OutputPath $out -PassThru | Select-Object -Last 1
$summary
Get-VirtTestResult -Path $out | Format-Table Status, ShortName, Duration, Reason
Remove-Item -LiteralPath $out -Recurse
'@
            Remarks = 'Boots the project''s test guest (build.ps1 -Task Guest): boot and both PCI hot-plug variants pass, fail_on_purpose fails on purpose; its folder holds the console output and a final screenshot, and report.html shows them.'
        }
    )

    RelatedLinks = @('Get-VirtTestResult', 'Stop-VirtTestRun', 'Invoke-VirtTestJob', 'Expand-VirtConfig', 'about_VirtTest')
}
