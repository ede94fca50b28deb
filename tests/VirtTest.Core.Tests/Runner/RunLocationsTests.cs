using VirtTest.Core.Runner;
using VirtTest.Core.Tests.Config;
using Xunit;

namespace VirtTest.Core.Tests.Runner;

public sealed class RunLocationsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_new_results_folder_of_the_same_second_gets_a_suffix()
    {
        var now = new DateTime(2026, 11, 26, 3, 4, 5);
        var first = RunLocations.NewResultsFolder(_dir.Path, now);
        Directory.CreateDirectory(first);
        var second = RunLocations.NewResultsFolder(_dir.Path, now);

        Assert.Equal(Path.Combine(_dir.Path, "results", "20261126-030405"), first);
        Assert.Equal(first + "-2", second);
    }

    [Fact]
    public void The_newest_results_folder_is_the_one_whose_results_file_was_written_last()
    {
        Assert.Null(RunLocations.NewestResultsFolder(_dir.Path));
        var older = Directory.CreateDirectory(Path.Combine(_dir.Path, "results", "b")).FullName;
        var newer = Directory.CreateDirectory(Path.Combine(_dir.Path, "results", "a")).FullName;
        Directory.CreateDirectory(Path.Combine(_dir.Path, "results", "c-without-results"));
        File.WriteAllText(Path.Combine(older, ResultsFolder.ResultsFileName), "{}");
        File.SetLastWriteTimeUtc(Path.Combine(older, ResultsFolder.ResultsFileName), DateTime.UtcNow.AddHours(-1));
        File.WriteAllText(Path.Combine(newer, ResultsFolder.ResultsFileName), "{}");

        Assert.Equal(newer, RunLocations.NewestResultsFolder(_dir.Path));
    }

    [Fact]
    public void Tests_default_to_the_tests_folder_beside_the_config_else_its_folder()
    {
        var config = _dir.Write("run.cfg", "type = x\n");
        Assert.Equal(_dir.Path, RunLocations.DefaultTestFolder(config));
        Directory.CreateDirectory(Path.Combine(_dir.Path, "tests"));
        Assert.Equal(Path.Combine(_dir.Path, "tests"), RunLocations.DefaultTestFolder(config));
    }
}
