using VirtTest.Core.Config;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>
/// Checks, before anything is submitted, that a cluster run can work at all: the Slurm client
/// is installed, <c>SLURM_CONF</c> (when set) names a file, the controller answers, the
/// partition exists, and every test fits on some node of it (memory, CPUs, features, and two
/// nodes for a cross-node migration). Each failure is a typed error naming what to fix.
/// </summary>
public static class ClusterPreflight
{
    /// <summary>What the run will use: the partition and its nodes.</summary>
    public sealed record Plan(string Partition, IReadOnlyList<SlurmNode> Nodes);

    public static async Task<Plan> CheckAsync(SlurmClient client, IReadOnlyList<VirtParams> tests, string? partition, string? constraint,
        TimeSpan defaultTimeout, CancellationToken ct)
    {
        client.Require(SlurmClient.ControllerTools);
        if (Environment.GetEnvironmentVariable("SLURM_CONF") is { Length: > 0 } conf && !File.Exists(conf))
            throw new SlurmConfigNotFoundException(conf);

        var partitions = await client.GetPartitionsAsync(ct).ConfigureAwait(false);
        var names = partitions.Select(p => p.Name).ToList();
        var chosen = partition is { Length: > 0 }
            ? partitions.FirstOrDefault(p => p.Name == partition)
            : partitions.FirstOrDefault(p => p.IsDefault);
        if (chosen is null) throw new SlurmPartitionNotFoundException(partition is { Length: > 0 } ? partition : null, names);

        var nodes = (await client.GetNodesAsync(ct).ConfigureAwait(false)).Where(n => n.Partitions.Contains(chosen.Name, StringComparer.Ordinal)).ToList();
        if (nodes.Count == 0) throw new ClusterCapacityException(tests.FirstOrDefault()?.ShortName ?? "(none)", $"partition '{chosen.Name}' has no nodes.");
        foreach (var test in tests) CheckFits(test, SlurmJobResources.For(test, defaultTimeout, constraint), chosen.Name, nodes);
        return new Plan(chosen.Name, nodes);
    }

    /// <summary>Throws <see cref="ClusterCapacityException"/> when no node (or pair of nodes) of the partition could ever take the test.</summary>
    public static void CheckFits(VirtParams test, SlurmJobResources need, string partition, IReadOnlyList<SlurmNode> nodes)
    {
        var features = SlurmJobResources.RequiredFeatures(need.Constraint);
        var withFeatures = features is null ? nodes : nodes.Where(n => features.All(f => n.Features.Contains(f, StringComparer.Ordinal))).ToList();
        if (withFeatures.Count == 0)
        {
            throw new ClusterCapacityException(test.ShortName,
                $"no node of partition '{partition}' has the features '{need.Constraint}' (nodes offer: {Describe(nodes.SelectMany(n => n.Features).Distinct())}). " +
                $"Declare them on the nodes (Features= in slurm.conf), or set {SlurmJobResources.ConstraintParam} in the config.");
        }
        var fitting = withFeatures.Where(n => n.MemoryMB >= need.MemoryMB && n.Cpus >= need.Cpus).ToList();
        if (fitting.Count >= need.Nodes) return;
        var largest = withFeatures.OrderByDescending(n => n.MemoryMB).First();
        if (fitting.Count == 0 || need.Nodes == 1)
        {
            var what = withFeatures.All(n => n.MemoryMB < need.MemoryMB)
                ? $"its VMs need {need.MemoryMB} MB of memory, and the largest node of partition '{partition}' ({largest.Name}) has {largest.MemoryMB} MB"
                : $"its VMs need {need.Cpus} CPUs, and no node of partition '{partition}' with {need.MemoryMB} MB has that many (most: {withFeatures.Max(n => n.Cpus)})";
            throw new ClusterCapacityException(test.ShortName, what + ". Lower mem/smp of its VMs, or run it on a partition with larger nodes.");
        }
        throw new ClusterCapacityException(test.ShortName,
            $"{SlurmJobResources.MigrationDestParam} = auto needs {need.Nodes} nodes with {need.MemoryMB} MB and {need.Cpus} CPUs, and partition '{partition}' has {fitting.Count} ({Describe(fitting.Select(n => n.Name))}).");
    }

    private static string Describe(IEnumerable<string> items)
    {
        var list = items.ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list);
    }
}
