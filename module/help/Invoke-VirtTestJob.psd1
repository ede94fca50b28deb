# Help source for Invoke-VirtTestJob (see module/help/Expand-VirtConfig.psd1 for the format).
# Examples are run by tests/Module.Meta.Tests.ps1 from the repository root: every file an
# example creates must be removed by the example itself.
@{
    Synopsis    = 'Runs the one test of a cluster job on this node: what each Slurm job of Invoke-VirtTestRun -Cluster Slurm executes.'

    Description = @(
        'Invoke-VirtTestJob reads a job spec file (jobs/specs/NNNN.json in the results folder of a cluster run: the test''s params, the test folders, the results folder) and runs that test exactly as a worker of a local run would: env pre- and post-processing, the test script or Pester spec, the timeout, VM clean-up, console logs and screenshots. Its results go to an attempt folder of their own, jobs/<SLURM_JOB_ID>/attempt<SLURM_RESTART_COUNT>/ (a results folder with results.json and the test''s folder), beside attempt.json, which records the node and start time. The controller merges the attempt that Slurm finished into the run''s results; an attempt never writes into another one''s folder, so a late result of a requeued attempt cannot replace the one that counts.'
        'Outside Slurm the job id is local-<process id> and the attempt 0, so a job of a run can be repeated by hand while the run''s spec files exist (the controller removes them when the run ends, since they hold the params with any passwords).'
        'SIGTERM (scancel, the end of the job''s time) ends the test like Ctrl+C: the VMs are killed and the result is CANCEL.'
        'A test with migration_dest_host = auto runs in a two-node job: Invoke-VirtTestJob starts itself with -MigrationDestination on the other node (srun), which starts the test''s main VM there waiting for the migration stream; the test finds it in $Env.Data[''migration_destination''] and moves its VM with Move-VirtVm -Destination.'
    )

    Parameters  = @{
        Path                 = 'Specifies job spec files. Accepts files from Get-ChildItem (by FullName) from the pipeline.'
        MigrationDestination = 'Runs the destination side of the job''s cross-node migration instead of the test: it starts the main VM paused and waiting for the migration on this node''s address, serves its serial console on a TCP port, and answers the test''s node line by line on stdin and stdout until told to stop or its input ends. The job starts it itself through srun.'
        WhatIf               = 'Shows which test would run without running it.'
        Confirm              = 'Asks for confirmation before the test runs.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Paths of job spec files, by value or from the FullName property.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Runner.TestResult'; Description = 'The test''s result, as the attempt folder stores it (its paths are relative to the attempt folder).' }
    )

    Notes       = @(
        'The job spec format: version, runId, index, resultsPath, testPath (folders), defaultTimeoutSec, config, filters, jobCommand (how the job starts a helper on another node) and params (the test dictionary).'
    )

    Examples    = @(
        @{
            Title   = 'Run one job spec by hand, outside Slurm'
            Code    = @'
$dir = Join-Path ([System.IO.Path]::GetTempPath()) "virttest-example-$PID"
$null = New-Item -ItemType Directory -Path $dir
Set-Content -Path "$dir/arithmetic.ps1" -Value 'param($Params) if (2 + 2 -ne [int]$Params.expected) { throw "2 + 2 is not $($Params.expected)" }'
@{
    index = 1; resultsPath = "$dir/results"; testPath = @($dir)
    params = @{ name = 'arithmetic'; shortname = 'arithmetic'; type = 'arithmetic'; start_vm = 'no'; expected = '4' }
} | ConvertTo-Json | Set-Content -Path "$dir/job.json"
Invoke-VirtTestJob -Path "$dir/job.json" | Format-Table Status, ShortName, Reason
Get-ChildItem "$dir/results/jobs" -Recurse -Filter attempt.json | Get-Content -Raw | ConvertFrom-Json
Remove-Item -LiteralPath $dir -Recurse
'@
            Remarks = 'Writes a job spec for a test without VMs and runs it: it passes, and its attempt folder (jobs/local-<pid>/attempt0) holds attempt.json with this host as the node, results.json and the test''s debug.log.'
        }
    )

    RelatedLinks = @('Invoke-VirtTestRun', 'Move-VirtVm', 'about_VirtTest')
}
