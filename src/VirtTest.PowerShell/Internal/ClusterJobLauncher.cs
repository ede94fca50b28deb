using System.Management.Automation;

namespace VirtTest.PowerShell.Internal;

/// <summary>
/// How a cluster job runs PowerShell on its node: the pwsh this session runs on (the same
/// path on every node, as a cluster's shared software stack has it), <c>-File job.ps1</c> in
/// the run's jobs folder, with this module's manifest and the job's spec file.
/// </summary>
internal static class ClusterJobLauncher
{
    public const string ScriptName = "job.ps1";

    /// <summary>The job script: imports the module and runs one job spec with Invoke-VirtTestJob.</summary>
    public const string ScriptText = """
        # Written by Invoke-VirtTestRun -Cluster Slurm: what each Slurm job of the run executes on
        # its node (pwsh -File job.ps1 -Module <VirtTest.psd1> -JobFile <jobs/specs/NNNN.json>).
        [CmdletBinding()]
        param(
            [Parameter(Mandatory)] [string] $Module,
            [Parameter(Mandatory)] [string] $JobFile,
            [switch] $MigrationDestination
        )
        $ErrorActionPreference = 'Stop'
        $ProgressPreference = 'SilentlyContinue'
        Import-Module -Name $Module
        if ($MigrationDestination) {
            # stdout carries the exchange with the test's node: nothing else may be written there.
            Invoke-VirtTestJob -Path $JobFile -MigrationDestination
            exit 0
        }
        $result = Invoke-VirtTestJob -Path $JobFile
        Write-Host "$($result.Status.ToString().ToUpperInvariant()) $($result.ShortName) on $env:SLURMD_NODENAME$(if ($result.Reason) { ": $($result.Reason)" })"
        # Exit code 0 for PASS only: the jobs of dependent tests wait for it (afterok).
        exit $(if ($result.Status -eq 'Pass') { 0 } else { 1 })

        """;

    /// <summary>The command before the spec path: [dotnet pwsh.dll | pwsh] -NoLogo -NoProfile -NonInteractive -File job.ps1 -Module psd1 -JobFile.</summary>
    public static IReadOnlyList<string> Command(string jobsFolder, string modulePath)
    {
        var command = new List<string>(Pwsh());
        command.AddRange(new[] { "-NoLogo", "-NoProfile", "-NonInteractive", "-File", Path.Combine(jobsFolder, ScriptName), "-Module", modulePath, "-JobFile" });
        return command;
    }

    private static IReadOnlyList<string> Pwsh()
    {
        var process = Environment.ProcessPath ?? "";
        var name = Path.GetFileNameWithoutExtension(process);
        if (name.Equals("pwsh", StringComparison.OrdinalIgnoreCase)) return new[] { process };
        // 'dotnet pwsh' (the dotnet tool): the host runs pwsh.dll from PSHOME.
        var pwshDll = Path.Combine(Path.GetDirectoryName(typeof(PSObject).Assembly.Location) ?? "", "pwsh.dll");
        if (name.Equals("dotnet", StringComparison.OrdinalIgnoreCase) && File.Exists(pwshDll)) return new[] { process, pwshDll };
        // Hosted elsewhere: whatever pwsh the nodes have on PATH.
        return new[] { "pwsh" };
    }
}
