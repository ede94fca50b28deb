using VirtTest.Core.Runner.Cluster;

namespace VirtTest.Core.Tests.Runner.Cluster;

/// <summary>Reading what the Slurm commands print, in Slurm 22.05's form (Debian 12) and the later JSON form.</summary>
public sealed class SlurmOutputTests
{
    // squeue --json of Slurm 22.05 (fields the runner reads; a real answer has ~100 per job).
    private const string Squeue2205 = """
        {
          "meta": { "Slurm": { "version": { "major": 22, "micro": 8, "minor": 5 }, "release": "22.05.8" } },
          "errors": [],
          "jobs": [
            { "job_id": 7, "job_state": "COMPLETED", "state_reason": "None", "nodes": "n1", "batch_host": "n1", "restart_cnt": 0,
              "exit_code": 0, "submit_time": 1796509506, "start_time": 1796509507, "end_time": 1796509533, "name": "vt-boot" },
            { "job_id": 8, "job_state": "FAILED", "state_reason": "NonZeroExitCode", "nodes": "n2", "batch_host": "n2", "restart_cnt": 1,
              "exit_code": 768, "submit_time": 1796509506, "start_time": 1796509540, "end_time": 1796509560 },
            { "job_id": 9, "job_state": "CANCELLED", "state_reason": "None", "nodes": "n3", "batch_host": "n3", "restart_cnt": 0,
              "exit_code": 15, "submit_time": 1796509506, "start_time": 1796509507, "end_time": 1796509510 },
            { "job_id": 10, "job_state": "PENDING", "state_reason": "Resources", "nodes": "", "batch_host": "", "restart_cnt": 1,
              "exit_code": 0, "submit_time": 1796509506, "start_time": 0, "end_time": 0 }
          ]
        }
        """;

    // The same fields as later versions write them: states in lists, numbers in objects.
    private const string SqueueLater = """
        { "jobs": [ { "job_id": 12, "job_state": ["RUNNING"], "state_reason": "None", "nodes": "n[1-2]", "batch_host": "n1",
            "restart_cnt": 2, "exit_code": { "status": ["SUCCESS"], "return_code": { "set": true, "infinite": false, "number": 0 } },
            "start_time": { "set": true, "infinite": false, "number": 1796509507 }, "end_time": { "set": false, "infinite": false, "number": 0 } } ] }
        """;

    [Fact]
    public void Squeue_json_of_22_05_gives_state_nodes_restarts_and_the_decoded_exit_status()
    {
        var jobs = SlurmJobInfo.ParseSqueueJson(Squeue2205).ToDictionary(j => j.JobId);

        Assert.Equal(4, jobs.Count);
        Assert.True(jobs["7"].IsFinal);
        Assert.Equal(0, jobs["7"].ExitCode);
        Assert.Equal("n1", jobs["7"].BatchHost);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1796509507), jobs["7"].StartTime);
        // 768 is the raw wait status of exit code 3; 15 of a SIGTERM.
        Assert.Equal(3, jobs["8"].ExitCode);
        Assert.Equal(1, jobs["8"].Restarts);
        Assert.Null(jobs["9"].ExitCode);
        Assert.Equal(15, jobs["9"].Signal);
        Assert.True(jobs["10"].IsPending);
        Assert.False(jobs["10"].IsFinal);
        Assert.Equal("Resources", jobs["10"].Reason);
        Assert.Null(jobs["10"].StartTime);
    }

    [Fact]
    public void Squeue_json_of_later_versions_is_read_too()
    {
        var job = Assert.Single(SlurmJobInfo.ParseSqueueJson(SqueueLater));

        Assert.Equal("RUNNING", job.State);
        Assert.True(job.IsRunning);
        Assert.Equal(2, job.Restarts);
        Assert.Equal(0, job.ExitCode);
        Assert.Equal("n[1-2]", job.Nodes);
        Assert.Null(job.EndTime);
    }

    [Fact]
    public void Scontrol_show_job_gives_state_restarts_exit_code_and_nodes()
    {
        const string line = "JobId=15 JobName=vt-p1 UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=1 Nice=0 Account=(null) QOS=(null) " +
            "JobState=COMPLETED Reason=None Dependency=(null) Requeue=1 Restarts=1 BatchFlag=1 Reboot=0 ExitCode=3:0 RunTime=00:00:27 " +
            "TimeLimit=00:10:00 TimeMin=N/A SubmitTime=2026-12-05T23:01:47 EligibleTime=2026-12-05T23:01:53 StartTime=2026-12-05T23:01:53 " +
            "EndTime=2026-12-05T23:02:20 Partition=vm AllocNode:Sid=ctl:1234 ReqNodeList=(null) ExcNodeList=(null) NodeList=n2 BatchHost=n2 " +
            "NumNodes=1 NumCPUs=1 Command=/tmp/r/jobs/job.sh WorkDir=/tmp/r StdOut=/tmp/r/jobs/slurm-15.out";

        var job = SlurmJobInfo.ParseScontrol(line)!;

        Assert.Equal("15", job.JobId);
        Assert.Equal("COMPLETED", job.State);
        Assert.Equal(1, job.Restarts);
        Assert.Equal(3, job.ExitCode);
        Assert.Equal("n2", job.Nodes);
        Assert.Equal("n2", job.BatchHost);
        Assert.Equal(new DateTimeOffset(new DateTime(2026, 12, 5, 23, 1, 53, DateTimeKind.Local)), job.StartTime);
        Assert.Null(SlurmJobInfo.ParseScontrol("slurm_load_jobs error: Invalid job id specified"));
    }

    [Fact]
    public void Scontrol_show_job_of_a_job_killed_by_a_signal_has_no_exit_code()
    {
        var job = SlurmJobInfo.ParseScontrol("JobId=3 JobState=CANCELLED Reason=None Restarts=0 ExitCode=0:15 NodeList=n1 BatchHost=n1")!;

        Assert.Null(job.ExitCode);
        Assert.Equal(15, job.Signal);
        Assert.True(job.IsFinal);
    }

    [Fact]
    public void Sinfo_json_gives_each_node_with_memory_cpus_features_partitions_and_state()
    {
        const string json = """
            { "nodes": [
              { "name": "n1", "address": "10.77.1.11", "hostname": "n1", "cpus": 2, "real_memory": 2000, "features": "qemu,kvm",
                "active_features": "qemu,kvm", "partitions": ["vm", "all"], "state": "idle", "reason": "" },
              { "name": "n2", "address": "10.77.1.12", "cpus": 4, "real_memory": 400, "features": "", "partitions": ["all"],
                "state": "down", "reason": "Not responding" } ] }
            """;

        var nodes = SlurmNode.ParseSinfoJson(json);

        Assert.Equal(2, nodes.Count);
        Assert.Equal(new[] { "qemu", "kvm" }, nodes[0].Features);
        Assert.Equal(new[] { "vm", "all" }, nodes[0].Partitions);
        Assert.Equal(2000, nodes[0].MemoryMB);
        Assert.Equal("10.77.1.11", nodes[0].Address);
        Assert.False(nodes[0].IsDown);
        Assert.Empty(nodes[1].Features);
        Assert.True(nodes[1].IsDown);
        Assert.Equal("Not responding", nodes[1].Reason);
    }

    [Fact]
    public void Scontrol_show_partition_gives_the_partitions_and_the_default_one()
    {
        const string text = "PartitionName=vm AllowGroups=ALL Default=YES QoS=N/A Nodes=n[1-3] State=UP TotalCPUs=6\n" +
                            "PartitionName=big AllowGroups=ALL Default=NO Nodes=n4 State=DOWN\n";

        var partitions = SlurmPartition.ParseScontrol(text);

        Assert.Equal(new[] { "vm", "big" }, partitions.Select(p => p.Name));
        Assert.True(partitions[0].IsDefault);
        Assert.Equal("n[1-3]", partitions[0].Nodes);
        Assert.Equal("DOWN", partitions[1].State);
    }
}
