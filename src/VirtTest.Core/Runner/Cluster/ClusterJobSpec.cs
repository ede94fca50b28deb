using System.Text.Json;
using System.Text.Json.Serialization;
using VirtTest.Core.Config;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>
/// What one job of a cluster run executes on its node: one test dictionary, where its scripts
/// are and where its results go. Written by the controller as <c>jobs/specs/NNNN.json</c> and
/// read by <c>Invoke-VirtTestJob</c> on the node. It holds the test's params as the config
/// gave them (passwords included: the node logs in with them), so its folder is private to
/// the user and the controller removes it when the run ends.
/// </summary>
public sealed record ClusterJobSpec
{
    [JsonPropertyName("version")] public int Version { get; init; } = 1;
    [JsonPropertyName("runId")] public string RunId { get; init; } = "";
    /// <summary>The test's position in the run's matrix (1-based).</summary>
    [JsonPropertyName("index")] public int Index { get; init; } = 1;
    /// <summary>The run's results folder (absolute; all nodes see it).</summary>
    [JsonPropertyName("resultsPath")] public string ResultsPath { get; init; } = "";
    [JsonPropertyName("testPath")] public IReadOnlyList<string> TestPath { get; init; } = Array.Empty<string>();
    /// <summary>Timeout of a test without test_timeout, in seconds.</summary>
    [JsonPropertyName("defaultTimeoutSec")] public double DefaultTimeoutSec { get; init; } = 1800;
    [JsonPropertyName("config")] public IReadOnlyList<string> Config { get; init; } = Array.Empty<string>();
    [JsonPropertyName("filters")] public IReadOnlyList<string> Filters { get; init; } = Array.Empty<string>();
    /// <summary>How the job starts a helper on another node of its allocation: the argument list before the spec path.</summary>
    [JsonPropertyName("jobCommand")] public IReadOnlyList<string> JobCommand { get; init; } = Array.Empty<string>();
    [JsonPropertyName("params")] public IReadOnlyDictionary<string, string> Params { get; init; } = new Dictionary<string, string>();

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public VirtParams ToParams() => new(Params);

    public static ClusterJobSpec Load(string path)
    {
        ClusterJobSpec? spec;
        try
        {
            spec = JsonSerializer.Deserialize<ClusterJobSpec>(File.ReadAllBytes(path), Json);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new RunnerException($"Cannot read the cluster job file '{path}': {ex.Message}", ex);
        }
        if (spec is null || spec.Params.Count == 0 || spec.ResultsPath.Length == 0)
            throw new RunnerException($"'{path}' is not a cluster job file: it needs params and resultsPath (Invoke-VirtTestRun -Cluster writes them under <results>/jobs/specs).");
        return spec;
    }

    /// <summary>Writes the file readable by its owner only (it holds the test's params).</summary>
    public void Save(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        using (var stream = OperatingSystem.IsWindows()
            ? new FileStream(temp, FileMode.Create, FileAccess.Write)
            : new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        {
            JsonSerializer.Serialize(stream, this, Json);
        }
        File.Move(temp, path, overwrite: true);
    }
}
