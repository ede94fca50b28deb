using System.Globalization;

namespace VirtTest.Core.Runner;

/// <summary>
/// Where a run looks for its tests and puts its results when not told: test scripts in
/// <c>tests/</c> beside the first config file (else that file's folder), results in
/// <c>results/&lt;date-time&gt;</c> under the current folder, the newest of which
/// <c>Get-VirtTestResult</c> reads by default.
/// </summary>
public static class RunLocations
{
    public const string ResultsRootName = "results";

    /// <summary>The default test folder for a config file.</summary>
    public static string DefaultTestFolder(string configFile)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(configFile))!;
        var tests = Path.Combine(dir, "tests");
        return Directory.Exists(tests) ? tests : dir;
    }

    /// <summary>results/&lt;date-time&gt; under <paramref name="baseFolder"/>, with a suffix when a run of the same second has it already.</summary>
    public static string NewResultsFolder(string baseFolder, DateTime now)
    {
        var stem = Path.Combine(baseFolder, ResultsRootName, now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        var candidate = stem;
        for (var n = 2; Directory.Exists(candidate); n++) candidate = stem + "-" + n.ToString(CultureInfo.InvariantCulture);
        return candidate;
    }

    /// <summary>The results folder under <paramref name="baseFolder"/>/results whose results file was written last, or null.</summary>
    public static string? NewestResultsFolder(string baseFolder)
    {
        var root = Path.Combine(baseFolder, ResultsRootName);
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root)
            .Where(d => File.Exists(Path.Combine(d, ResultsFolder.ResultsFileName)))
            .OrderByDescending(d => File.GetLastWriteTimeUtc(Path.Combine(d, ResultsFolder.ResultsFileName)))
            .FirstOrDefault();
    }
}
