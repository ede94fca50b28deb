using System.Globalization;
using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>
/// What one test's job asks Slurm for, from its params: memory and CPUs of the VMs it starts
/// (the numbers the local scheduler places by, <see cref="TestEnv.Requirement"/>), two nodes
/// for a cross-node migration (<c>migration_dest_host = auto</c>), a time limit from
/// <c>test_timeout</c> and node features from its VMs' backends (<c>slurm_constraint</c>
/// overrides them).
/// </summary>
public sealed record SlurmJobResources(int MemoryMB, int Cpus, int Nodes, int TimeMinutes, string? Constraint)
{
    /// <summary>Memory asked for by a test that starts no VM: --mem=0 would mean a whole node.</summary>
    public const int MinimumMemoryMB = 64;

    /// <summary>Time a job gets beyond its test's timeout: starting pwsh, env pre- and post-processing, evidence.</summary>
    public static readonly TimeSpan TimeMargin = TimeSpan.FromMinutes(5);

    public const string ConstraintParam = "slurm_constraint";
    public const string MigrationDestParam = "migration_dest_host";

    /// <summary>The job of a test that migrates between nodes (<c>migration_dest_host = auto</c>) spans two.</summary>
    public static bool NeedsTwoNodes(VirtParams test) =>
        string.Equals(test.Get(MigrationDestParam), "auto", StringComparison.OrdinalIgnoreCase);

    public static SlurmJobResources For(VirtParams test, TimeSpan defaultTimeout, string? runConstraint)
    {
        var (memory, cpus) = TestEnv.Requirement(test);
        var timeout = double.TryParse(test.Get("test_timeout"), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0
            ? TimeSpan.FromSeconds(s) : defaultTimeout;
        var minutes = (int)Math.Ceiling((timeout + TimeMargin).TotalMinutes);
        // The param overrides the backends' features, even when empty (no constraint at all).
        var own = test.ContainsKey(ConstraintParam) ? test.Get(ConstraintParam) : BackendFeatures(test);
        var parts = new[] { own, runConstraint }.Where(c => c is { Length: > 0 }).Select(c => c!.Trim()).ToList();
        return new SlurmJobResources(
            Math.Max(MinimumMemoryMB, memory),
            Math.Max(1, cpus),
            NeedsTwoNodes(test) ? 2 : 1,
            minutes,
            parts.Count == 0 ? null : string.Join('&', parts.Distinct(StringComparer.Ordinal)));
    }

    /// <summary>The backends of the VMs the test starts (qemu, libvirt, xen): the node features a node offering them declares.</summary>
    public static string BackendFeatures(VirtParams test)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var vm in VirtualMachine.VmNames(test))
        {
            var p = test.ObjectParams(vm);
            if (!string.Equals(p.Get("start_vm"), "yes", StringComparison.OrdinalIgnoreCase)) continue;
            names.Add((p.Get("vm_type") is { Length: > 0 } t ? t : BackendRegistry.DefaultBackend).ToLowerInvariant());
        }
        return string.Join('&', names);
    }

    /// <summary>
    /// The features a simple constraint requires (<c>a&amp;b</c> or <c>a,b</c>), or null for an
    /// expression this check does not evaluate (OR, counts, brackets): Slurm judges those.
    /// </summary>
    public static IReadOnlyList<string>? RequiredFeatures(string? constraint)
    {
        if (constraint is not { Length: > 0 }) return Array.Empty<string>();
        if (constraint.IndexOfAny(new[] { '|', '[', ']', '(', ')', '*', '!' }) >= 0) return null;
        return constraint.Split(new[] { '&', ',' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
