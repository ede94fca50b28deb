using System.Text.RegularExpressions;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>A Slurm partition: a named set of nodes jobs are submitted to.</summary>
public sealed record SlurmPartition(string Name, bool IsDefault, string State, string Nodes)
{
    private static readonly Regex Field = new(@"(?:^|\s)(\w+)=(\S*)", RegexOptions.CultureInvariant);

    /// <summary>The partitions of <c>scontrol --oneliner show partition</c> (one per line, key=value fields).</summary>
    public static IReadOnlyList<SlurmPartition> ParseScontrol(string text)
    {
        var list = new List<SlurmPartition>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match m in Field.Matches(line)) fields.TryAdd(m.Groups[1].Value, m.Groups[2].Value);
            if (!fields.TryGetValue("PartitionName", out var name)) continue;
            list.Add(new SlurmPartition(name, fields.GetValueOrDefault("Default") == "YES", fields.GetValueOrDefault("State", ""), fields.GetValueOrDefault("Nodes", "")));
        }
        return list;
    }
}
