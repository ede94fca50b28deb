using System.Text.Json.Serialization;

namespace VirtTest.Core.Runner;

/// <summary>What a run was: its config, filters, workers and timing (the head of <c>results.json</c>).</summary>
public sealed record RunInfo
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("config")] public IReadOnlyList<string> Config { get; init; } = Array.Empty<string>();
    [JsonPropertyName("filters")] public IReadOnlyList<string> Filters { get; init; } = Array.Empty<string>();
    [JsonPropertyName("testPath")] public string TestPath { get; init; } = "";
    [JsonPropertyName("jobs")] public int Jobs { get; init; }
    [JsonPropertyName("host")] public string Host { get; init; } = Environment.MachineName;
    [JsonPropertyName("start")] public DateTimeOffset Start { get; init; }
    [JsonPropertyName("end")] public DateTimeOffset? End { get; init; }
    [JsonPropertyName("state")] public RunState State { get; init; }
    /// <summary>How many tests the expanded config has (some may not have run when interrupted).</summary>
    [JsonPropertyName("planned")] public int Planned { get; init; }
    /// <summary>Who placed the tests: null for this host's own workers, "slurm" for a cluster run.</summary>
    [JsonPropertyName("scheduler")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Scheduler { get; init; }
    /// <summary>The Slurm partition of a cluster run.</summary>
    [JsonPropertyName("partition")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Partition { get; init; }
}
