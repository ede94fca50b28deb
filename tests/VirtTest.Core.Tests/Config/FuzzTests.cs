using Xunit.Abstractions;
using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// Mutated conformance cases must either expand or fail with a ConfigError: no other exception,
/// no hang. Each run takes a new seed (printed; VIRTTEST_FUZZ_SEED replays one);
/// VIRTTEST_FUZZ_ITERATIONS sets the count (default 3000) and VIRTTEST_FUZZ_WORKERS the threads
/// (default 1; replaying needs the same number). With VIRTTEST_FUZZ_SAVE_DIR set, each failing
/// input is saved there (build.ps1 -Task Fuzz saves into tests/conformance/fuzz-regressions, whose
/// files every run checks as regression cases).
/// </summary>
public class FuzzTests
{
    private readonly ITestOutputHelper _output;

    public FuzzTests(ITestOutputHelper output) => _output = output;

    private static readonly string[] Fragments =
    {
        ":", "-", "@", ".", "..", ",", "(", ")", "=", "+=", "<=", "?=", "~=", "?<=", "?+=", "[", "]", "!", "\"", "'",
        "${", "}", "$", "#", "//", "\t", "    ", "\n", "variants", "variants x:", "only ", "no ", "include ", "del ", "suffix ", "join ",
        "- a:", "(x=y)", "[default=a]", "\u00e9", "\u2028", "\r", " ", "join #", "${a-b}", "suffix _s\n", "del a\n",
    };

    private static string RegressionFolder => Path.Combine(TestPaths.RepoRoot, "tests", "conformance", "fuzz-regressions");

    [Fact]
    public void Mutated_cases_raise_only_config_errors()
    {
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("VIRTTEST_FUZZ_ITERATIONS"), out var n) ? n : 3000;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("VIRTTEST_FUZZ_SEED"), out var s) ? s : Random.Shared.Next();
        var workers = int.TryParse(Environment.GetEnvironmentVariable("VIRTTEST_FUZZ_WORKERS"), out var w) && w > 0 ? w : 1;
        var saveDir = Environment.GetEnvironmentVariable("VIRTTEST_FUZZ_SAVE_DIR");
        var replay = $"seed {seed}, {workers} worker(s); replay with VIRTTEST_FUZZ_SEED={seed} VIRTTEST_FUZZ_WORKERS={workers}";
        _output.WriteLine($"fuzzing {iterations} inputs, {replay}");
        Console.Error.WriteLine($"[FuzzTests] fuzzing {iterations} inputs, {replay}");
        var cases = Directory.GetFiles(Path.Combine(TestPaths.Conformance, "cases"))
            .Select(f => (Path: f, Text: File.ReadAllText(f))).ToArray();
        Assert.NotEmpty(cases);
        var parsedOk = 0;
        var configErrors = 0;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var dir = new TempDir();
        // Includes in the mutated text resolve here; copy the include target so some mutants still include it.
        foreach (var c in cases) File.Copy(c.Path, Path.Combine(dir.Path, System.IO.Path.GetFileName(c.Path)));
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            var rng = new Random(unchecked(seed + worker * 7919));
            var share = iterations / workers + (worker < iterations % workers ? 1 : 0);
            for (var i = 0; i < share && failures.Count < 20; i++)
            {
                var (_, text) = cases[rng.Next(cases.Length)];
                var mutant = Mutate(text, rng);
                var outcome = RunWithDeadline(mutant, dir.Path, TimeSpan.FromSeconds(20));
                if (outcome is null) Interlocked.Increment(ref parsedOk);
                else if (outcome is ConfigError) Interlocked.Increment(ref configErrors);
                else
                {
                    failures.Add($"worker {worker} iteration {i} ({replay}) threw {outcome.GetType().Name}: {outcome.Message}\n--- input ---\n{mutant}");
                    if (!string.IsNullOrEmpty(saveDir))
                    {
                        Directory.CreateDirectory(saveDir);
                        File.WriteAllText(Path.Combine(saveDir, $"found-{seed}-{worker}-{i}.cfg"), mutant);
                    }
                }
            }
        });
        Assert.True(failures.IsEmpty, string.Join("\n\n", failures.Take(3)));
        // Both outcomes must really occur, or the mutations are too weak or too strong.
        Assert.True(parsedOk > iterations / 20, $"only {parsedOk} of {iterations} mutants parsed ({replay})");
        Assert.True(configErrors > iterations / 20, $"only {configErrors} of {iterations} mutants failed ({replay})");
    }

    /// <summary>Inputs the fuzzing found once (tests/conformance/fuzz-regressions): they must stay fixed.</summary>
    [Fact]
    public void Regression_inputs_raise_only_config_errors()
    {
        var files = Directory.GetFiles(RegressionFolder, "*.cfg");
        Assert.NotEmpty(files);
        foreach (var f in files)
        {
            var outcome = RunWithDeadline(File.ReadAllText(f), RegressionFolder, TimeSpan.FromSeconds(20));
            Assert.True(outcome is null or ConfigError, Path.GetFileName(f) + " threw " + outcome?.GetType().Name + ": " + outcome?.Message);
        }
    }

    private static Exception? RunWithDeadline(string text, string baseDir, TimeSpan deadline)
    {
        Exception? error = null;
        var worker = new Thread(() =>
        {
            try
            {
                var cfg = new CartesianConfig();
                cfg.ParseString(text, "fuzz.cfg", baseDir);
                cfg.AddFilter("no zz_never_matches");
                _ = cfg.Expand().Take(500).Count();
                _ = cfg.Expand(defaults: true).Take(500).Count();
            }
            catch (Exception e)
            {
                error = e;
            }
        }, maxStackSize: 16 * 1024 * 1024);
        worker.Start();
        if (!worker.Join(deadline)) Assert.Fail("the parser hung on:\n" + text);
        return error;
    }

    private static string Mutate(string text, Random rng)
    {
        var chars = text.ToList();
        var edits = 1 + rng.Next(4);
        for (var e = 0; e < edits; e++)
        {
            var pos = chars.Count == 0 ? 0 : rng.Next(chars.Count + 1);
            switch (rng.Next(6))
            {
                case 0 when chars.Count > 0 && pos < chars.Count:
                    chars.RemoveAt(pos);
                    break;
                case 1:
                    chars.InsertRange(pos, Fragments[rng.Next(Fragments.Length)]);
                    break;
                case 2 when chars.Count > 0 && pos < chars.Count:
                    chars[pos] = (char)rng.Next(32, 127);
                    break;
                case 3:
                {
                    // Duplicate a line: repeats blocks, shifts indentation.
                    var lines = new string(chars.ToArray()).Split('\n').ToList();
                    var li = rng.Next(lines.Count);
                    lines.Insert(li, lines[li]);
                    chars = string.Join("\n", lines).ToList();
                    break;
                }
                case 4:
                {
                    var lines = new string(chars.ToArray()).Split('\n').ToList();
                    var li = rng.Next(lines.Count);
                    lines[li] = new string(' ', rng.Next(9)) + lines[li].TrimStart();
                    chars = string.Join("\n", lines).ToList();
                    break;
                }
                default:
                    chars.InsertRange(pos, " ");
                    break;
            }
        }
        return new string(chars.ToArray());
    }
}
