using System.Text.Json.Serialization;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>
/// Where and how a cluster run ran one test (part of its <see cref="TestResult"/>): the Slurm
/// job, the attempt whose result counts, when the controller submitted it and merged the
/// result, and every earlier attempt (a node that died, a requeue).
/// </summary>
public sealed record ClusterPlacement
{
    [JsonPropertyName("scheduler")] public string Scheduler { get; init; } = "slurm";
    [JsonPropertyName("job")] public string Job { get; init; } = "";
    /// <summary>SLURM_RESTART_COUNT of the attempt this result is from (0 = first run).</summary>
    [JsonPropertyName("attempt")] public int Attempt { get; init; }
    [JsonPropertyName("node")] public string Node { get; init; } = "";
    /// <summary>The attempt's folder inside the results folder.</summary>
    [JsonPropertyName("directory")] public string Directory { get; init; } = "";
    [JsonPropertyName("submitted")] public DateTimeOffset Submitted { get; init; }
    /// <summary>When Slurm started the attempt's job process on its node (before PowerShell loaded).</summary>
    [JsonPropertyName("jobStart")] public DateTimeOffset? JobStart { get; init; }
    /// <summary>When the job's own code began on the node (PowerShell loaded, the module imported).</summary>
    [JsonPropertyName("jobCodeStart")] public DateTimeOffset? JobCodeStart { get; init; }
    /// <summary>When the controller merged the result into the run's results.</summary>
    [JsonPropertyName("merged")] public DateTimeOffset Merged { get; init; }
    /// <summary>How the Slurm job ended (COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, ...).</summary>
    [JsonPropertyName("jobState")] public string JobState { get; init; } = "";
    [JsonPropertyName("earlierAttempts")] public IReadOnlyList<TestAttempt> EarlierAttempts { get; init; } = Array.Empty<TestAttempt>();
}

/// <summary>An attempt of a test that does not count: where it ran and why it was given up.</summary>
public sealed record TestAttempt
{
    [JsonPropertyName("attempt")] public int Attempt { get; init; }
    [JsonPropertyName("node")] public string Node { get; init; } = "";
    [JsonPropertyName("reason")] public string Reason { get; init; } = "";
    [JsonPropertyName("start")] public DateTimeOffset? Start { get; init; }
    /// <summary>A result the attempt wrote anyway (late, e.g. from behind a network partition): kept here, never counted.</summary>
    [JsonPropertyName("lateStatus")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public TestStatus? LateStatus { get; init; }
    [JsonPropertyName("directory")] public string Directory { get; init; } = "";

    public override string ToString() => $"attempt {Attempt} on {Node}: {Reason}";
}
