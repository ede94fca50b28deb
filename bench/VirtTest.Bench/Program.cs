using System.Diagnostics;
using VirtTest.Bench;
using VirtTest.Core.Config;

// Benchmarks for VirtTest. Each measurement runs in its own process so that peak memory is its own.
//   config-run FILE [--defaults]       parse + expand FILE, print one line of figures
//   config [--tests N] [--reference PATH/TO/cartesian_config.py]
//                                      the Cartesian config benchmark
//   qemu [--calls N] [--rounds N] [--no-boot]
//                                      QMP round trips and boot-to-command, each beside a bare baseline
//   session [--calls N] [--rounds N] [--no-ssh]
//                                      Cmd('true') over serial and SSH, each beside a raw client
//   hotplug [--cycles N]               disk hot-plug latency beside a raw QMP client (build.ps1 runs it with 'storage')
//   all (default)                      config, qemu, session (what build.ps1 -Task Bench runs)
var argList = args.ToList();
string Opt(string name, string fallback)
{
    var i = argList.IndexOf(name);
    return i >= 0 && i + 1 < argList.Count ? argList[i + 1] : fallback;
}

// Options alone (e.g. only --reference from build.ps1) mean the default benchmark set.
switch (argList.FirstOrDefault() is { } first && !first.StartsWith("--", StringComparison.Ordinal) ? first : null)
{
    case "config-run":
        return ConfigRun(argList[1], argList.Contains("--defaults"));
    case "write-config":
        File.WriteAllText(argList[1], BenchConfig.Generate(int.Parse(Opt("--tests", "45")), int.Parse(Opt("--repeat", "1"))));
        return 0;
    case "qemu":
        return await VirtTest.Bench.QemuBench.RunAsync(int.Parse(Opt("--calls", "1000")), int.Parse(Opt("--rounds", "5")), !argList.Contains("--no-boot"));
    case "hotplug":
        return await VirtTest.Bench.HotplugBench.RunAsync(int.Parse(Opt("--cycles", "30")));
    case "session":
        return await VirtTest.Bench.SessionBench.RunAsync(int.Parse(Opt("--calls", "1000")), int.Parse(Opt("--rounds", "3")), !argList.Contains("--no-ssh"));
    case "all":
    case null:
        var configResult = ConfigBench(int.Parse(Opt("--tests", "45")), Opt("--reference", Environment.GetEnvironmentVariable("VIRTTEST_REFERENCE_PARSER") ?? ""));
        Console.WriteLine();
        if (configResult != 0) return configResult;
        var qemuResult = await VirtTest.Bench.QemuBench.RunAsync(int.Parse(Opt("--calls", "1000")), int.Parse(Opt("--rounds", "5")));
        Console.WriteLine();
        return qemuResult != 0 ? qemuResult : await VirtTest.Bench.SessionBench.RunAsync(int.Parse(Opt("--calls", "1000")), int.Parse(Opt("--rounds", "3")));
    case "config":
        return ConfigBench(int.Parse(Opt("--tests", "45")), Opt("--reference", Environment.GetEnvironmentVariable("VIRTTEST_REFERENCE_PARSER") ?? ""));
    default:
        Console.Error.WriteLine("unknown benchmark: " + argList[0]);
        return 2;
}

static int ConfigRun(string file, bool defaults)
{
    var sw = Stopwatch.StartNew();
    var cfg = new CartesianConfig();
    cfg.ParseFile(file);
    var parse = sw.Elapsed.TotalSeconds;
    long count = 0;
    long keys = 0;
    foreach (var p in cfg.Expand(defaults))
    {
        count++;
        keys += p.Count;
    }
    var total = sw.Elapsed.TotalSeconds;
    using var me = Process.GetCurrentProcess();
    me.Refresh();
    Console.WriteLine($"dicts={count} keys={keys} parse_s={parse:F3} total_s={total:F3} peak_rss_mb={me.PeakWorkingSet64 / 1048576.0:F1}");
    return 0;
}

static Dictionary<string, string> RunChild(string fileName, IEnumerable<string> arguments)
{
    var psi = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in arguments) psi.ArgumentList.Add(a);
    using var p = Process.Start(psi)!;
    var stdout = p.StandardOutput.ReadToEnd();
    var stderr = p.StandardError.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException($"{fileName} failed ({p.ExitCode}): {stderr}{stdout}");
    var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
    return line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
}

static int ConfigBench(int tests, string reference)
{
    var self = Environment.ProcessPath!;
    var selfArgs = new List<string>();
    var entry = System.Reflection.Assembly.GetEntryAssembly()!.Location;
    if (Path.GetFileNameWithoutExtension(self) == "dotnet") selfArgs.Add(entry);
    var dir = Path.Combine(Path.GetTempPath(), "virttest-bench-" + Guid.NewGuid().ToString("N"));
    Directory.CreateDirectory(dir);
    try
    {
        var small = Path.Combine(dir, "tree.cfg");
        var large = Path.Combine(dir, "tree-x100.cfg");
        File.WriteAllText(small, BenchConfig.Generate(tests, 1));
        File.WriteAllText(large, BenchConfig.Generate(tests, 100));

        Console.WriteLine("Cartesian config benchmark (generated tree, " + tests + " tests)");
        var ours = RunChild(self, selfArgs.Concat(new[] { "config-run", small }));
        var dicts = long.Parse(ours["dicts"]);
        var secs = double.Parse(ours["total_s"], System.Globalization.CultureInfo.InvariantCulture);
        Console.WriteLine($"  VirtTest:  {dicts} dicts in {secs:F2} s = {dicts / secs:N0} dicts/s, peak RSS {ours["peak_rss_mb"]} MB");

        var big = RunChild(self, selfArgs.Concat(new[] { "config-run", large }));
        var bigDicts = long.Parse(big["dicts"]);
        var smallRss = double.Parse(ours["peak_rss_mb"], System.Globalization.CultureInfo.InvariantCulture);
        var bigRss = double.Parse(big["peak_rss_mb"], System.Globalization.CultureInfo.InvariantCulture);
        Console.WriteLine($"  VirtTest x100: {bigDicts} dicts, peak RSS {bigRss:F1} MB; memory ratio x100/x1 = {bigRss / smallRss:F2} (target <= 1.25)");

        if (!string.IsNullOrEmpty(reference))
        {
            var driver = Path.Combine(dir, "ref_run.py");
            File.WriteAllText(driver, ReferenceDriver);
            var r = RunChild("python3", new[] { driver, reference, small });
            var rd = long.Parse(r["dicts"]);
            var rs = double.Parse(r["total_s"], System.Globalization.CultureInfo.InvariantCulture);
            if (rd != dicts) Console.WriteLine($"  WARNING: the reference made {rd} dicts, VirtTest {dicts}");
            Console.WriteLine($"  reference: {rd} dicts in {rs:F2} s = {rd / rs:N0} dicts/s, peak RSS {r["peak_rss_mb"]} MB");
            Console.WriteLine($"  speed ratio VirtTest/reference = {(dicts / secs) / (rd / rs):F1}x (target >= 20x)");
        }
        else
        {
            Console.WriteLine("  (no reference parser given: pass -ReferenceParser PATH/cartesian_config.py to build.ps1 to measure the ratio)");
        }
        return 0;
    }
    finally
    {
        Directory.Delete(dir, recursive: true);
    }
}

partial class Program
{
    // Times only parse + expansion inside the reference's own process (interpreter start-up aside).
    const string ReferenceDriver = """
        import sys, time, resource, importlib.util
        spec = importlib.util.spec_from_file_location("cartesian_config", sys.argv[1])
        mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
        t0 = time.perf_counter()
        p = mod.Parser()
        p.parse_file(sys.argv[2])
        n = 0; keys = 0
        for d in p.get_dicts():
            n += 1; keys += len(d)
        t = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print("dicts=%d keys=%d total_s=%.3f peak_rss_mb=%.1f" % (n, keys, t, rss))
        """;
}
