using System.Text.Json.Serialization;

namespace VirtTest.Core.Runner;

/// <summary>
/// One finished test of a run, as <c>results.json</c> stores it. Paths are relative to the
/// results folder, so a folder can be moved or archived.
/// </summary>
public sealed record TestResult
{
    /// <summary>Position of the test in the expanded matrix (1-based).</summary>
    [JsonPropertyName("index")] public int Index { get; init; }
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("shortname")] public string ShortName { get; init; } = "";
    [JsonPropertyName("status")] public TestStatus Status { get; init; }
    /// <summary>One line saying why (empty for PASS).</summary>
    [JsonPropertyName("reason")] public string Reason { get; init; } = "";
    [JsonPropertyName("start")] public DateTimeOffset Start { get; init; }
    /// <summary>Wall time in seconds.</summary>
    [JsonPropertyName("duration")] public double Duration { get; init; }
    /// <summary>Which worker ran it (0 for tests never started, e.g. skipped by dependency).</summary>
    [JsonPropertyName("worker")] public int Worker { get; init; }
    /// <summary>The test's folder inside the results folder.</summary>
    [JsonPropertyName("directory")] public string Directory { get; init; } = "";
    [JsonPropertyName("logs")] public IReadOnlyList<string> Logs { get; init; } = Array.Empty<string>();
    [JsonPropertyName("screenshots")] public IReadOnlyList<string> Screenshots { get; init; } = Array.Empty<string>();
    /// <summary>The steps the test named, in order (empty when it named none).</summary>
    [JsonPropertyName("steps")] public IReadOnlyList<TestStep> Steps { get; init; } = Array.Empty<TestStep>();
    /// <summary>The step running when a test that did not pass ended, or null.</summary>
    [JsonPropertyName("failedStep")] public string? FailedStep { get; init; }
    /// <summary>The params the test ran with.</summary>
    [JsonPropertyName("params")] public IReadOnlyDictionary<string, string> Params { get; init; } = new Dictionary<string, string>();
    /// <summary>The cluster node that ran it (cluster runs only).</summary>
    [JsonPropertyName("node")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Node { get; init; }
    /// <summary>Its Slurm job, attempt and earlier attempts (cluster runs only).</summary>
    [JsonPropertyName("cluster")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Cluster.ClusterPlacement? Cluster { get; init; }

    /// <summary>The results folder this result was read from or written to (not stored).</summary>
    [JsonIgnore] public string? ResultsPath { get; init; }

    public override string ToString() => $"{Status.ToString().ToUpperInvariant()} {ShortName}" + (Reason.Length > 0 ? $": {Reason}" : "");
}
