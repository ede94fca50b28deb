using VirtTest.Core.Config;
using VirtTest.Core.Runner.Cluster;

namespace VirtTest.Core.Tests.Runner.Cluster;

/// <summary>What a test's Slurm job asks for, and whether a cluster can take it, from its params alone.</summary>
public sealed class SlurmJobPlanTests
{
    private static VirtParams Test(string name, params (string Key, string Value)[] items)
    {
        var p = new VirtParams { ["name"] = name, ["shortname"] = name };
        foreach (var (k, v) in items) p[k] = v;
        return p;
    }

    private static readonly TimeSpan HalfAnHour = TimeSpan.FromMinutes(30);

    [Fact]
    public void Memory_and_cpus_are_those_of_the_vms_the_test_starts()
    {
        var test = Test("two_vms", ("vms", "vm1 vm2 vm3"), ("start_vm", "yes"), ("mem", "256"), ("mem_vm2", "512"), ("smp_vm2", "2"), ("start_vm_vm3", "no"));

        var need = SlurmJobResources.For(test, HalfAnHour, null);

        Assert.Equal(256 + 512, need.MemoryMB);
        Assert.Equal(1 + 2, need.Cpus);
        Assert.Equal(1, need.Nodes);
        Assert.Equal("qemu", need.Constraint);
    }

    [Fact]
    public void A_test_without_vms_asks_for_a_little_memory_one_cpu_and_no_features()
    {
        var need = SlurmJobResources.For(Test("plain", ("start_vm", "no")), HalfAnHour, null);

        Assert.Equal(SlurmJobResources.MinimumMemoryMB, need.MemoryMB);
        Assert.Equal(1, need.Cpus);
        Assert.Null(need.Constraint);
    }

    [Fact]
    public void The_time_limit_is_the_test_timeout_plus_the_margin_in_whole_minutes()
    {
        Assert.Equal(35, SlurmJobResources.For(Test("t"), HalfAnHour, null).TimeMinutes);
        Assert.Equal(7, SlurmJobResources.For(Test("t", ("test_timeout", "90")), HalfAnHour, null).TimeMinutes);
    }

    [Fact]
    public void Features_come_from_the_backends_and_slurm_constraint_replaces_them()
    {
        var mixed = Test("mixed", ("vms", "a b"), ("start_vm", "yes"), ("vm_type_b", "xen"));
        Assert.Equal("qemu&xen", SlurmJobResources.For(mixed, HalfAnHour, null).Constraint);
        Assert.Equal("qemu&xen&rack1", SlurmJobResources.For(mixed, HalfAnHour, "rack1").Constraint);

        mixed["slurm_constraint"] = "kvm";
        Assert.Equal("kvm", SlurmJobResources.For(mixed, HalfAnHour, null).Constraint);
        mixed["slurm_constraint"] = "";
        Assert.Null(SlurmJobResources.For(mixed, HalfAnHour, null).Constraint);
    }

    [Fact]
    public void A_migration_to_another_node_asks_for_two_nodes()
    {
        var need = SlurmJobResources.For(Test("m", ("start_vm", "yes"), ("migration_dest_host", "auto")), HalfAnHour, null);

        Assert.Equal(2, need.Nodes);
        Assert.Equal(1, SlurmJobResources.For(Test("m", ("start_vm", "yes"), ("migration_dest_host", "localhost")), HalfAnHour, null).Nodes);
    }

    [Fact]
    public void Sbatch_gets_the_resources_and_the_command_as_separate_arguments()
    {
        var request = new SlurmJobRequest
        {
            Name = "vt-boot",
            Script = "/r/jobs/job.sh",
            Command = new[] { "/usr/bin/pwsh", "-File", "/r/jobs/job.ps1", "-JobFile", "/r/jobs/specs/0001.json; rm -rf /" },
            Output = "/r/jobs/slurm-%j.out",
            WorkingDirectory = "/r",
            Partition = "vm",
            Nodes = 2,
            CpusPerTask = 2,
            MemoryMB = 768,
            TimeMinutes = 35,
            Constraint = "qemu&kvm",
            AfterOk = new[] { "11", "12" },
        };

        var args = request.ToArguments();

        Assert.Equal(new[]
        {
            "--parsable", "--requeue", "--job-name=vt-boot", "--nodes=2", "--ntasks-per-node=1", "--cpus-per-task=2", "--mem=768",
            "--output=/r/jobs/slurm-%j.out", "--open-mode=append", "--chdir=/r", "--export=ALL", "--time=35", "--partition=vm",
            "--constraint=qemu&kvm", "--dependency=afterok:11:12", "--kill-on-invalid-dep=yes",
            "/r/jobs/job.sh", "/usr/bin/pwsh", "-File", "/r/jobs/job.ps1", "-JobFile", "/r/jobs/specs/0001.json; rm -rf /",
        }, args);
    }

    private static readonly SlurmNode[] Nodes =
    {
        new() { Name = "n1", Cpus = 2, MemoryMB = 400, Features = new[] { "qemu" }, Partitions = new[] { "vm" } },
        new() { Name = "n2", Cpus = 8, MemoryMB = 4000, Features = new[] { "qemu", "kvm" }, Partitions = new[] { "vm" } },
    };

    [Fact]
    public void A_test_fits_when_some_node_has_its_memory_cpus_and_features()
    {
        ClusterPreflight.CheckFits(Test("small"), new SlurmJobResources(256, 1, 1, 35, "qemu"), "vm", Nodes);
        ClusterPreflight.CheckFits(Test("big"), new SlurmJobResources(3000, 4, 1, 35, "qemu&kvm"), "vm", Nodes);
        // An expression this check does not evaluate is left to Slurm.
        ClusterPreflight.CheckFits(Test("or"), new SlurmJobResources(256, 1, 1, 35, "gpu|qemu"), "vm", Nodes);
    }

    [Fact]
    public void A_test_bigger_than_every_node_is_refused_with_what_it_needs_and_what_there_is()
    {
        var memory = Assert.Throws<ClusterCapacityException>(() => ClusterPreflight.CheckFits(Test("huge"), new SlurmJobResources(8000, 1, 1, 35, null), "vm", Nodes));
        Assert.Equal("Test 'huge' cannot run on this cluster: its VMs need 8000 MB of memory, and the largest node of partition 'vm' (n2) has 4000 MB. Lower mem/smp of its VMs, or run it on a partition with larger nodes.", memory.Message);
        Assert.Equal("Slurm.TestTooLarge", memory.ErrorId);

        var cpus = Assert.Throws<ClusterCapacityException>(() => ClusterPreflight.CheckFits(Test("wide"), new SlurmJobResources(256, 16, 1, 35, null), "vm", Nodes));
        Assert.Contains("its VMs need 16 CPUs", cpus.Message, StringComparison.Ordinal);

        var features = Assert.Throws<ClusterCapacityException>(() => ClusterPreflight.CheckFits(Test("xen"), new SlurmJobResources(256, 1, 1, 35, "xen"), "vm", Nodes));
        Assert.Contains("no node of partition 'vm' has the features 'xen' (nodes offer: qemu, kvm)", features.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_migration_needs_two_nodes_that_fit()
    {
        var error = Assert.Throws<ClusterCapacityException>(() => ClusterPreflight.CheckFits(Test("m"), new SlurmJobResources(1000, 1, 2, 35, "qemu"), "vm", Nodes));
        Assert.Contains("needs 2 nodes with 1000 MB and 1 CPUs, and partition 'vm' has 1 (n2)", error.Message, StringComparison.Ordinal);
        ClusterPreflight.CheckFits(Test("m"), new SlurmJobResources(256, 1, 2, 35, "qemu"), "vm", Nodes);
    }
}
