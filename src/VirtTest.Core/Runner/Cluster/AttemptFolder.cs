using System.Text.Json;
using System.Text.Json.Serialization;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>
/// One attempt of a cluster job: a results folder of its own (<c>jobs/&lt;id&gt;/attempt&lt;N&gt;</c>)
/// holding the one test it ran, plus <c>attempt.json</c> written when it started. Attempts never
/// share files, so an attempt that was given up (its node died) and still writes later cannot
/// touch the attempt that counts.
/// </summary>
public sealed class AttemptFolder
{
    public AttemptFolder(string path) => Path = System.IO.Path.GetFullPath(path);

    public string Path { get; }

    /// <summary>Where and when the attempt started.</summary>
    public sealed record Start
    {
        [JsonPropertyName("job")] public string Job { get; init; } = "";
        [JsonPropertyName("attempt")] public int Attempt { get; init; }
        [JsonPropertyName("node")] public string Node { get; init; } = "";
        /// <summary>When the job's code began (PowerShell loaded, the module imported).</summary>
        [JsonPropertyName("start")] public DateTimeOffset Time { get; init; }
        /// <summary>When Slurm started the job's process (the batch script execs it).</summary>
        [JsonPropertyName("processStart")] public DateTimeOffset? ProcessStart { get; init; }
        [JsonPropertyName("pid")] public int ProcessId { get; init; }
    }

    private string StartFile => System.IO.Path.Combine(Path, ClusterLayout.AttemptFileName);

    public void WriteStart(Start start)
    {
        Directory.CreateDirectory(Path);
        File.WriteAllBytes(StartFile + ".tmp", JsonSerializer.SerializeToUtf8Bytes(start, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(StartFile + ".tmp", StartFile, overwrite: true);
    }

    /// <summary>The start record, or null when the attempt never got that far (or the folder is unreadable).</summary>
    public Start? ReadStart()
    {
        try
        {
            return File.Exists(StartFile) ? JsonSerializer.Deserialize<Start>(File.ReadAllBytes(StartFile)) : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The attempt's test result once its run inside has ended (completed or interrupted), else null.</summary>
    public TestResult? ReadResult()
    {
        if (!File.Exists(System.IO.Path.Combine(Path, ResultsFolder.ResultsFileName))) return null;
        try
        {
            var folder = ResultsFolder.Load(Path);
            return folder.Run.End is null ? null : folder.Tests.FirstOrDefault();
        }
        catch (RunnerException)
        {
            return null;
        }
    }

    /// <summary>
    /// The attempt's result as the run's results folder stores it: the run's index for the test,
    /// paths relative to the run's folder, the node and the placement.
    /// </summary>
    public TestResult Rebase(TestResult result, ResultsFolder run, int index, ClusterPlacement placement)
    {
        string Relative(string path) => run.Relative(System.IO.Path.GetFullPath(System.IO.Path.Combine(Path, path)));
        return result with
        {
            Index = index,
            Worker = 0,
            Directory = Relative(result.Directory),
            Logs = result.Logs.Select(Relative).ToList(),
            Screenshots = result.Screenshots.Select(Relative).ToList(),
            Node = placement.Node,
            Cluster = placement,
            ResultsPath = run.Path,
        };
    }
}
