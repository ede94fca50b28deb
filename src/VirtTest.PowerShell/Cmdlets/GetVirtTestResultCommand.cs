using System.Management.Automation;
using VirtTest.Core.Runner;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Get-VirtTestResult</c>: reads results folders written by Invoke-VirtTestRun (also of an
/// interrupted run): the tests, a summary, or the changes against another run.
/// </summary>
[Cmdlet(VerbsCommon.Get, "VirtTestResult", DefaultParameterSetName = TestsSet)]
[OutputType(typeof(TestResult), ParameterSetName = new[] { TestsSet })]
[OutputType(typeof(RunSummary), ParameterSetName = new[] { SummarySet })]
[OutputType(typeof(TestResultChange), ParameterSetName = new[] { CompareSet })]
public sealed class GetVirtTestResultCommand : VirtCmdlet
{
    private const string TestsSet = "Tests";
    private const string SummarySet = "Summary";
    private const string CompareSet = "Compare";

    /// <summary>Results folders (or their results.json). Default: the newest folder under ./results.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("ResultsPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    /// <summary>Only tests with these statuses.</summary>
    [Parameter(ParameterSetName = TestsSet)]
    public TestStatus[]? Status { get; set; }

    /// <summary>Counts per status instead of the tests.</summary>
    [Parameter(ParameterSetName = SummarySet, Mandatory = true)]
    public SwitchParameter Summary { get; set; }

    /// <summary>A baseline results folder: writes how each test changed from it (newly failing, newly passing, slower, ...).</summary>
    [Parameter(ParameterSetName = CompareSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string? Compare { get; set; }

    /// <summary>With -Compare: also tests that did not change.</summary>
    [Parameter(ParameterSetName = CompareSet)]
    public SwitchParameter IncludeUnchanged { get; set; }

    /// <summary>With -Compare: how many times longer counts as slower (default 1.5; also at least 1 s longer).</summary>
    [Parameter(ParameterSetName = CompareSet)]
    [ValidateRange(1.0, 1000.0)]
    public double SlowerFactor { get; set; } = 1.5;

    // Results of one run piped in (each carries its ResultsPath) name the same folder many times.
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    protected override void ProcessRecord()
    {
        foreach (var path in Path ?? new[] { NewestResultsFolder() })
        {
            if (path.Length == 0) continue;
            ResultsFolder folder;
            try
            {
                folder = ResultsFolder.Load(GetUnresolvedProviderPathFromPSPath(path));
                if (!_seen.Add(folder.Path)) continue;
            }
            catch (RunnerException ex)
            {
                WriteError(new ErrorRecord(ex, "VirtTest.ResultsNotFound", ErrorCategory.ObjectNotFound, path));
                continue;
            }
            switch (ParameterSetName)
            {
                case SummarySet:
                    WriteObject(folder.Summary());
                    break;
                case CompareSet:
                    ResultsFolder baseline;
                    try
                    {
                        baseline = ResultsFolder.Load(GetUnresolvedProviderPathFromPSPath(Compare!));
                    }
                    catch (RunnerException ex)
                    {
                        ThrowTerminatingError(new ErrorRecord(ex, "VirtTest.ResultsNotFound", ErrorCategory.ObjectNotFound, Compare));
                        return;
                    }
                    foreach (var change in ResultComparison.Compare(baseline.Tests, folder.Tests, SlowerFactor))
                    {
                        if (IncludeUnchanged || change.Change != ResultChangeKind.Unchanged) WriteObject(change);
                    }
                    break;
                default:
                    foreach (var test in folder.Tests)
                    {
                        if (Status is null || Status.Contains(test.Status)) WriteObject(test);
                    }
                    break;
            }
        }
    }

    private string NewestResultsFolder()
    {
        var here = SessionState.Path.CurrentFileSystemLocation.ProviderPath;
        var newest = RunLocations.NewestResultsFolder(here);
        if (newest is null)
        {
            var root = System.IO.Path.Combine(here, RunLocations.ResultsRootName);
            WriteError(new ErrorRecord(new RunnerException($"No results folder under '{root}': pass -Path, or run Invoke-VirtTestRun here first."),
                "VirtTest.ResultsNotFound", ErrorCategory.ObjectNotFound, root));
            return "";
        }
        return newest;
    }
}
