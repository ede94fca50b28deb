using System.Globalization;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>
/// One <c>sbatch</c> submission: the resources the job asks for and the command its batch
/// script runs. The batch script only runs its arguments (<c>exec "$@"</c>), so the command
/// reaches the node as an argument list, never as a shell string.
/// </summary>
public sealed record SlurmJobRequest
{
    public required string Name { get; init; }
    /// <summary>The batch script (its arguments are <see cref="Command"/>).</summary>
    public required string Script { get; init; }
    public required IReadOnlyList<string> Command { get; init; }
    /// <summary>stdout and stderr of the job (Slurm expands %j to the job id); appended to by requeued attempts.</summary>
    public required string Output { get; init; }
    public required string WorkingDirectory { get; init; }
    public string? Partition { get; init; }
    public int Nodes { get; init; } = 1;
    public int CpusPerTask { get; init; } = 1;
    public int MemoryMB { get; init; }
    public int TimeMinutes { get; init; }
    public string? Constraint { get; init; }
    /// <summary>Jobs that must end successfully (exit code 0) first.</summary>
    public IReadOnlyList<string> AfterOk { get; init; } = Array.Empty<string>();
    public string? Comment { get; init; }

    /// <summary>The sbatch arguments (without the program name).</summary>
    public IReadOnlyList<string> ToArguments()
    {
        var a = new List<string>
        {
            "--parsable",
            // Slurm runs the job again elsewhere when its node fails.
            "--requeue",
            "--job-name=" + Name,
            "--nodes=" + Nodes.ToString(CultureInfo.InvariantCulture),
            "--ntasks-per-node=1",
            "--cpus-per-task=" + CpusPerTask.ToString(CultureInfo.InvariantCulture),
            "--mem=" + MemoryMB.ToString(CultureInfo.InvariantCulture),
            "--output=" + Output,
            "--open-mode=append",
            "--chdir=" + WorkingDirectory,
            // The job needs this host's environment (SLURM_CONF, VIRTTEST_*, PATH).
            "--export=ALL",
        };
        if (TimeMinutes > 0) a.Add("--time=" + TimeMinutes.ToString(CultureInfo.InvariantCulture));
        if (Partition is { Length: > 0 }) a.Add("--partition=" + Partition);
        if (Constraint is { Length: > 0 }) a.Add("--constraint=" + Constraint);
        if (AfterOk.Count > 0)
        {
            a.Add("--dependency=afterok:" + string.Join(':', AfterOk));
            // A dependency that failed can never be satisfied: cancel rather than pend forever.
            a.Add("--kill-on-invalid-dep=yes");
        }
        if (Comment is { Length: > 0 }) a.Add("--comment=" + Comment);
        a.Add(Script);
        a.AddRange(Command);
        return a;
    }
}
