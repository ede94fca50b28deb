using System.Globalization;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>
/// Where a cluster run keeps its jobs inside the results folder (a folder every node sees):
/// <c>jobs/job.sh</c> (the batch script), <c>jobs/specs/NNNN.json</c> (what each job runs,
/// removed at the end of the run: it holds the test's params), <c>jobs/slurm-&lt;id&gt;.out</c>
/// (the job's own output, all attempts) and <c>jobs/&lt;id&gt;/attempt&lt;N&gt;/</c>: one
/// attempt's results folder (SLURM_RESTART_COUNT = N), with <c>attempt.json</c> saying where
/// and when it started.
/// </summary>
public static class ClusterLayout
{
    public const string JobsFolderName = "jobs";
    public const string AttemptFileName = "attempt.json";

    public static string JobsFolder(string results) => Path.Combine(results, JobsFolderName);
    public static string BatchScript(string results) => Path.Combine(JobsFolder(results), "job.sh");
    public static string SpecFolder(string results) => Path.Combine(JobsFolder(results), "specs");
    public static string SpecFile(string results, int index) => Path.Combine(SpecFolder(results), index.ToString("D4", CultureInfo.InvariantCulture) + ".json");
    /// <summary>The job's output file as sbatch takes it (%j is the job id).</summary>
    public static string OutputPattern(string results) => Path.Combine(JobsFolder(results), "slurm-%j.out");
    public static string OutputFile(string results, string jobId) => Path.Combine(JobsFolder(results), $"slurm-{jobId}.out");
    public static string AttemptFolder(string results, string jobId, int attempt) =>
        Path.Combine(JobsFolder(results), jobId, "attempt" + attempt.ToString(CultureInfo.InvariantCulture));

    /// <summary>The batch script: runs its arguments (the command comes as a list, never as shell text).</summary>
    public const string BatchScriptText = "#!/bin/sh\n# Written by VirtTest: a Slurm job of a test run runs its arguments.\nexec \"$@\"\n";
}
