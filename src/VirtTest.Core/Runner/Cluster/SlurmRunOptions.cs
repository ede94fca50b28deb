using VirtTest.Core.Config;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>What <see cref="SlurmRun"/> submits and where it writes.</summary>
public sealed class SlurmRunOptions
{
    /// <summary>The expanded matrix, in order: one job per test.</summary>
    public required IReadOnlyList<VirtParams> Tests { get; init; }

    /// <summary>The results folder; it must be visible at the same path on every node.</summary>
    public required string OutputPath { get; init; }

    /// <summary>
    /// The command a job runs on its node, as an argument list; the path of the job's spec
    /// file is appended (e.g. pwsh -File job.ps1 -Module VirtTest.psd1 -JobFile).
    /// </summary>
    public required IReadOnlyList<string> JobCommand { get; init; }

    /// <summary>Files the job command needs, written into the run's jobs folder before anything is submitted (name, text).</summary>
    public IReadOnlyDictionary<string, string> JobFiles { get; init; } = new Dictionary<string, string>();

    public SlurmClient Client { get; init; } = new();

    /// <summary>The partition; null takes the cluster's default one.</summary>
    public string? Partition { get; init; }

    /// <summary>Node features every job asks for besides its backends' (ANDed).</summary>
    public string? Constraint { get; init; }

    /// <summary>Per-test timeout when the params have no <c>test_timeout</c>.</summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How often the controller asks Slurm for the jobs' states.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long an interrupted run waits for its cancelled jobs to end.</summary>
    public TimeSpan CancelTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long Slurm may stay unreachable during a run before the run gives up.</summary>
    public TimeSpan ControllerOutage { get; init; } = TimeSpan.FromMinutes(2);

    public IReadOnlyList<string> ConfigFiles { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Filters { get; init; } = Array.Empty<string>();
    /// <summary>The folders with the test scripts (the jobs search them on their nodes).</summary>
    public IReadOnlyList<string> TestPath { get; init; } = Array.Empty<string>();
}

/// <summary>What runs on one node of a cluster run now.</summary>
public sealed record ClusterNodeStatus(string Node, IReadOnlyList<(string Test, DateTimeOffset Since)> Tests);
