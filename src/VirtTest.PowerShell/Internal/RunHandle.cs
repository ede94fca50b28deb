using System.Globalization;
using System.Threading.Channels;
using VirtTest.Core.Runner;
using VirtTest.Core.Runner.Cluster;

namespace VirtTest.PowerShell.Internal;

/// <summary>
/// A run as Invoke-VirtTestRun and its job see it, whoever places the tests (this host's
/// workers or Slurm): start it, read its results as they come, show its progress in lanes
/// (a worker, a node).
/// </summary>
internal sealed class RunHandle
{
    public required Func<CancellationToken, Task<RunSummary>> RunAsync { get; init; }
    public required ChannelReader<TestResult> Finished { get; init; }
    public required string ResultsPath { get; init; }
    public required int Planned { get; init; }
    public required Func<int> Done { get; init; }
    /// <summary>The overall progress line.</summary>
    public required Func<string> Status { get; init; }
    /// <summary>One line per worker or node: a stable key, its title and what it does.</summary>
    public required Func<IEnumerable<(string Key, string Activity, string Status)>> Lanes { get; init; }

    public static RunHandle Local(TestRun run) => new()
    {
        RunAsync = run.RunAsync,
        Finished = run.Finished,
        ResultsPath = run.Results.Path,
        Planned = run.Planned,
        Done = () => run.Done,
        Status = () => string.Create(CultureInfo.InvariantCulture, $"{run.Done} of {run.Planned} tests done, {run.Jobs} worker(s)"),
        Lanes = () => run.Workers.Select(w => (
            w.Worker.ToString(CultureInfo.InvariantCulture),
            $"worker {w.Worker}",
            w.Test is null ? "idle" : string.Create(CultureInfo.InvariantCulture, $"{w.Test} ({(DateTimeOffset.Now - w.Since!.Value).TotalSeconds:0} s)"))),
    };

    public static RunHandle Cluster(SlurmRun run) => new()
    {
        RunAsync = run.RunAsync,
        Finished = run.Finished,
        ResultsPath = run.Results.Path,
        Planned = run.Planned,
        Done = () => run.Done,
        Status = () => string.Create(CultureInfo.InvariantCulture,
            $"{run.Done} of {run.Planned} tests done, {run.Pending} waiting for a node, Slurm partition {run.Partition ?? "(checking)"}"),
        Lanes = () => run.Nodes.Select(n => (
            n.Node,
            $"node {n.Node}",
            string.Join(", ", n.Tests.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Test} ({(DateTimeOffset.Now - t.Since).TotalSeconds:0} s)"))))),
    };
}
