using System.Text.Json;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>A compute node as Slurm declares it: what it offers for placing jobs.</summary>
public sealed record SlurmNode
{
    public required string Name { get; init; }
    /// <summary>Where other hosts reach it (NodeAddr).</summary>
    public string Address { get; init; } = "";
    public int Cpus { get; init; }
    /// <summary>RealMemory: what jobs' --mem is placed against, in MB.</summary>
    public int MemoryMB { get; init; }
    public IReadOnlyList<string> Features { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Partitions { get; init; } = Array.Empty<string>();
    /// <summary>idle, mixed, allocated, down, drained, ...</summary>
    public string State { get; init; } = "";
    /// <summary>Why an administrator or Slurm took it out of service (Not responding, ...).</summary>
    public string Reason { get; init; } = "";

    public bool IsDown => State.StartsWith("down", StringComparison.OrdinalIgnoreCase)
        || State.StartsWith("drain", StringComparison.OrdinalIgnoreCase) || State.StartsWith("fail", StringComparison.OrdinalIgnoreCase);

    /// <summary>The nodes of a <c>sinfo --json</c> answer.</summary>
    public static IReadOnlyList<SlurmNode> ParseSinfoJson(string json)
    {
        using var doc = SlurmJson.Parse(json, "sinfo --json");
        if (!doc.RootElement.TryGetProperty("nodes", out var nodes) || nodes.ValueKind != JsonValueKind.Array) return Array.Empty<SlurmNode>();
        var list = new List<SlurmNode>();
        foreach (var n in nodes.EnumerateArray())
        {
            if (SlurmJson.String(n, "name") is not { Length: > 0 } name) continue;
            list.Add(new SlurmNode
            {
                Name = name,
                Address = SlurmJson.String(n, "address") ?? "",
                Cpus = (int)(SlurmJson.Number(n, "cpus") ?? 0),
                MemoryMB = (int)(SlurmJson.Number(n, "real_memory") ?? 0),
                Features = SlurmJson.Strings(n, "features"),
                Partitions = SlurmJson.Strings(n, "partitions"),
                State = (SlurmJson.String(n, "state") ?? "").ToLowerInvariant(),
                Reason = SlurmJson.String(n, "reason") ?? "",
            });
        }
        return list;
    }

    public override string ToString() => $"{Name} ({Cpus} CPUs, {MemoryMB} MB, {State})";
}
