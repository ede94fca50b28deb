using System.Text.Json;
using System.Text.Json.Serialization;

namespace VirtTest.Core.Runner;

/// <summary>
/// A run's results folder: <c>results.json</c> (rewritten atomically after every finished
/// test, so an interrupted run leaves a valid file), <c>junit.xml</c>, <c>report.html</c>
/// and one sub-folder per test with its logs and screenshots.
/// </summary>
public sealed class ResultsFolder
{
    public const string ResultsFileName = "results.json";
    public const string JUnitFileName = "junit.xml";
    public const string HtmlFileName = "report.html";

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseUpper) },
    };

    private readonly object _gate = new();
    private readonly List<TestResult> _tests = new();

    public ResultsFolder(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }
    public string ResultsFile => System.IO.Path.Combine(Path, ResultsFileName);
    public RunInfo Run { get; private set; } = new();

    public IReadOnlyList<TestResult> Tests
    {
        get { lock (_gate) return _tests.OrderBy(t => t.Index).ToList(); }
    }

    /// <summary>Creates the folder and writes an empty results file for a run that starts.</summary>
    public void Begin(RunInfo run)
    {
        Directory.CreateDirectory(Path);
        lock (_gate)
        {
            Run = run;
            _tests.Clear();
            Save();
        }
    }

    /// <summary>The folder for one test's logs and screenshots (created).</summary>
    public string TestDirectory(int index, string shortName)
    {
        var safe = string.Concat(shortName.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));
        if (safe.Length > 80) safe = safe[..80];
        var dir = System.IO.Path.Combine(Path, "tests", $"{index:D4}-{safe}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A path inside the folder, as stored (relative, forward slashes).</summary>
    public string Relative(string fullPath) => System.IO.Path.GetRelativePath(Path, fullPath).Replace('\\', '/');

    public void Add(TestResult result)
    {
        lock (_gate)
        {
            _tests.Add(result with { ResultsPath = Path });
            Save();
        }
    }

    public void Finish(RunState state)
    {
        lock (_gate)
        {
            Run = Run with { State = state, End = DateTimeOffset.Now };
            Save();
        }
    }

    public RunSummary Summary()
    {
        lock (_gate) return RunSummary.From(Path, Run, _tests);
    }

    private void Save()
    {
        var document = new ResultsDocument { Run = Run, Tests = _tests.OrderBy(t => t.Index).ToList() };
        var temp = ResultsFile + ".tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(document, JsonOptions));
        File.Move(temp, ResultsFile, overwrite: true);
    }

    /// <summary>Reads a results folder (or its <c>results.json</c>), also one of an interrupted run.</summary>
    public static ResultsFolder Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var file = File.Exists(full) ? full : System.IO.Path.Combine(full, ResultsFileName);
        if (!File.Exists(file))
            throw new RunnerException($"No test results at '{path}': expected a results folder with {ResultsFileName} (written by Invoke-VirtTestRun).");
        ResultsDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<ResultsDocument>(File.ReadAllBytes(file), JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new RunnerException($"'{file}' is not a VirtTest results file: {ex.Message}", ex);
        }
        if (document?.Run is null) throw new RunnerException($"'{file}' is not a VirtTest results file: it has no run section.");
        var folder = new ResultsFolder(System.IO.Path.GetDirectoryName(file)!);
        var run = document.Run;
        // A run that never wrote its end was cut short (killed runner, power loss).
        if (run.State == RunState.Running) run = run with { State = RunState.Interrupted };
        folder.Run = run;
        folder._tests.AddRange((document.Tests ?? new List<TestResult>()).Select(t => t with { ResultsPath = folder.Path }));
        return folder;
    }

    private sealed class ResultsDocument
    {
        [JsonPropertyName("version")] public int Version { get; init; } = 1;
        [JsonPropertyName("run")] public RunInfo? Run { get; init; }
        [JsonPropertyName("tests")] public List<TestResult>? Tests { get; init; }
    }
}
