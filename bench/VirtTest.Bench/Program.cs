using System.Diagnostics;
using VirtTest.Bench;
using VirtTest.Core.Config;

// Benchmarks for VirtTest. Each measurement runs in its own process so that peak memory is its own.
//   config-run FILE [--defaults] [--cache DIR] [--filter LINE]... [--rounds N]
//                                      parse (through the parse cache in DIR) + expand FILE, print one line of figures
//   config-dump [--defaults] [--keep-duplicates] [--filter LINE]... FILE...
//                                      every dict of each FILE as a JSON line, keys in order
//                                      (for side-by-side checks against the reference)
//   config [--tests N] [--rounds N] [--samples N] [--reference PATH/TO/cartesian_config.py]
//                                      the Cartesian config benchmark (--rounds: of the real-tree part)
//   config-realtree [--rounds N] [--samples N] [--reference PATH/TO/cartesian_config.py]
//                                      only its real-tree part, N rounds (default 3), median ratios;
//                                      per round, each short measurement is the median of --samples
//                                      runs (default 5), VirtTest and the reference interleaved
//   qemu [--calls N] [--rounds N] [--no-boot]
//                                      QMP round trips and boot-to-command, each beside a bare baseline
//   session [--calls N] [--rounds N] [--no-ssh]
//                                      Cmd('true') over serial and SSH, each beside a raw client
//   network [--mb N] [--rounds N] [--lookups N]
//                                      host -> guest TCP over a tap on a test network's bridge, VirtTest
//                                      vs the same command line by hand; address lookup latency (root)
//   hotplug [--cycles N]               disk hot-plug latency beside a raw QMP client (build.ps1 runs it with 'storage')
//   xen --lab FOLDER [--calls N] [--rounds N]
//                                      the Xen lab's boot time and 'xl list' over SSH beside 'ssh host xl list'
//   realguest [--rounds N] [--timeline DIR]  the Debian guest: boot to login prompt and a reboot cycle, beside bare QEMU
//                                      (--timeline: each side's reboot console lines with their times)
//   rss [--rounds N] [--mib N] [--files N]
//                                      RSS file transfer: a big file and a tree of small files, up and
//                                      down, beside a minimal client writing the same bytes
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
        // --rounds N: the same run N times in one process (the last line is the last round: a warm session's figures).
        for (var round = int.Parse(Opt("--rounds", "1")); round > 0; round--)
            ConfigRun(argList[1], argList.Contains("--defaults"), argList.Contains("--cache") ? Opt("--cache", "") : null,
                argList.Select((a, i) => (a, i)).Where(x => x.a == "--filter").Select(x => argList[x.i + 1]).ToList());
        return 0;
    case "config-parse":
        for (var i = 0; i < int.Parse(Opt("--repeat", "5")); i++)
        {
            var alloc = GC.GetAllocatedBytesForCurrentThread();
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            var cfg = new CartesianConfig();
            cfg.ParseFile(argList[1]);
            Console.WriteLine($"parse {i}: {sw.Elapsed.TotalMilliseconds:F1} ms ({(Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds:F0} ms CPU), {(GC.GetAllocatedBytesForCurrentThread() - alloc) / 1048576.0:F1} MB allocated");
        }
        return 0;
    case "config-dump":
        return ConfigDump.Run(argList.Skip(1).ToList());
    case "write-realtree":
        Console.WriteLine(VirtTest.Core.Tests.Config.RealTreeGenerator.Write(argList[1],
            new VirtTest.Core.Tests.Config.RealTreeGenerator.Shape(Tests: int.Parse(Opt("--tests", "900")), BaseKeys: int.Parse(Opt("--base-keys", "600")),
                LinuxFamilies: int.Parse(Opt("--linux", "6")), WindowsVersions: int.Parse(Opt("--windows", "6")), Seed: int.Parse(Opt("--seed", "1")))));
        return 0;
    case "write-config":
        File.WriteAllText(argList[1], BenchConfig.Generate(int.Parse(Opt("--tests", "45")), int.Parse(Opt("--repeat", "1"))));
        return 0;
    case "qemu":
        return await VirtTest.Bench.QemuBench.RunAsync(int.Parse(Opt("--calls", "1000")), int.Parse(Opt("--rounds", "5")), !argList.Contains("--no-boot"));
    case "network":
        return await VirtTest.Bench.NetworkBench.RunAsync(int.Parse(Opt("--mb", "64")), int.Parse(Opt("--rounds", "5")), int.Parse(Opt("--lookups", "200")));
    case "hotplug":
        return await VirtTest.Bench.HotplugBench.RunAsync(int.Parse(Opt("--cycles", "30")));
    case "realguest":
        return await VirtTest.Bench.RealGuestBench.RunAsync(int.Parse(Opt("--rounds", "3")), argList.Contains("--timeline") ? Opt("--timeline", "") : null);
    case "session":
        return await VirtTest.Bench.SessionBench.RunAsync(int.Parse(Opt("--calls", "1000")), int.Parse(Opt("--rounds", "3")), !argList.Contains("--no-ssh"));
    case "xen":
        return await VirtTest.Bench.XenBench.RunAsync(Opt("--lab", ""), int.Parse(Opt("--calls", "5")), int.Parse(Opt("--rounds", "3")));
    case "rss":
        return await VirtTest.Bench.RssBench.RunAsync(int.Parse(Opt("--rounds", "11")), int.Parse(Opt("--mib", "100")), int.Parse(Opt("--files", "1000")));
    case "all":
    case null:
        var configResult = ConfigBench(int.Parse(Opt("--tests", "45")), Opt("--reference", Environment.GetEnvironmentVariable("VIRTTEST_REFERENCE_PARSER") ?? ""),
            int.Parse(Opt("--rounds", "1")), realTreeOnly: false, int.Parse(Opt("--samples", "5")));
        Console.WriteLine();
        if (configResult != 0) return configResult;
        var qemuResult = await VirtTest.Bench.QemuBench.RunAsync(int.Parse(Opt("--calls", "1000")), int.Parse(Opt("--rounds", "5")));
        Console.WriteLine();
        return qemuResult != 0 ? qemuResult : await VirtTest.Bench.SessionBench.RunAsync(int.Parse(Opt("--calls", "1000")), int.Parse(Opt("--rounds", "3")));
    case "config":
        return ConfigBench(int.Parse(Opt("--tests", "45")), Opt("--reference", Environment.GetEnvironmentVariable("VIRTTEST_REFERENCE_PARSER") ?? ""),
            int.Parse(Opt("--rounds", "1")), realTreeOnly: false, int.Parse(Opt("--samples", "5")));
    case "config-realtree":
        return ConfigBench(0, Opt("--reference", Environment.GetEnvironmentVariable("VIRTTEST_REFERENCE_PARSER") ?? ""),
            int.Parse(Opt("--rounds", "3")), realTreeOnly: true, int.Parse(Opt("--samples", "5")));
    default:
        Console.Error.WriteLine("unknown benchmark: " + argList[0]);
        return 2;
}

static int ConfigRun(string file, bool defaults, string? cacheDir, IReadOnlyList<string> filters)
{
    // The clocks are read once before the window, so that their first call's cost (loading and
    // compiling the reading code) is not timed; inside it they cost microseconds.
    var cpu0 = ProcessCpuSeconds();
    var faults0 = ProcessMinorFaults();
    var alloc0 = GC.GetTotalAllocatedBytes();
    var jit0 = System.Runtime.JitInfo.GetCompiledMethodCount();
    var collections0 = GC.CollectionCount(0);
    var pause0 = GC.GetTotalPauseDuration().TotalMilliseconds;
    var jitTime0 = System.Runtime.JitInfo.GetCompilationTime();
    var sw = Stopwatch.StartNew();
    var loaded = ConfigLoader.Load(new ConfigLoadOptions
    {
        Files = new[] { file },
        Filters = filters,
        Defaults = defaults,
        UseCache = cacheDir is not null,
        CacheDirectory = cacheDir,
    });
    var parse = sw.Elapsed.TotalSeconds;
    var parseCpu = ProcessCpuSeconds() - cpu0;
    var parseFaults = ProcessMinorFaults() - faults0;
    var parseCollections = GC.CollectionCount(0) - collections0;   // collections of any generation during the parse
    var parsePause = GC.GetTotalPauseDuration().TotalMilliseconds - pause0;
    long count = 0;
    long keys = 0;
    foreach (var p in loaded.Expand())
    {
        count++;
        keys += p.Count;
    }
    var total = sw.Elapsed.TotalSeconds;
    var totalCpu = ProcessCpuSeconds() - cpu0;
    var totalFaults = ProcessMinorFaults() - faults0;
    var jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount() - jit0;
    var jitMs = (System.Runtime.JitInfo.GetCompilationTime() - jitTime0).TotalMilliseconds;
    var mainCpu = ThreadCpuSeconds();
    using var me = Process.GetCurrentProcess();
    Console.WriteLine($"dicts={count} keys={keys} main_thread_cpu_s={mainCpu:F3} parse_s={parse:F3} parse_cpu_s={parseCpu:F3} total_s={total:F3} total_cpu_s={totalCpu:F3} peak_rss_mb={me.PeakWorkingSet64 / 1048576.0:F1} cpu_s={me.TotalProcessorTime.TotalSeconds:F3} alloc_mb={(GC.GetTotalAllocatedBytes() - alloc0) / 1048576.0:F0} gcs={GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} gc_pause_ms={GC.GetTotalPauseDuration().TotalMilliseconds:F0} parse_faults={parseFaults} parse_gcs={parseCollections} parse_gc_pause_ms={parsePause:F0} total_faults={totalFaults} cached={loaded.FromCache} jit_methods={jitMethods} jit_ms={jitMs:F0}");
    return 0;
}

// Minor page faults of the process so far (Linux: /proc/self/stat): a first touch of a fresh
// page is a large share of the engine's time on machines where faults are slow; -1 where unknown.
static long ProcessMinorFaults()
{
    try
    {
        var stat = File.ReadAllText("/proc/self/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[7]);   // minflt
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
    {
        return -1;
    }
}

// CPU time of the calling thread (Linux: /proc/thread-self/stat), to tell the work itself from
// the runtime's background threads (tiered JIT compilation); -1 where unknown.
static double ThreadCpuSeconds()
{
    try
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;   // utime + stime, in clock ticks (USER_HZ = 100)
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
    {
        return -1;
    }
}

static Dictionary<string, string> RunChild(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
{
    var psi = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in arguments) psi.ArgumentList.Add(a);
    if (environment is not null)
    {
        foreach (var (name, value) in environment) psi.Environment[name] = value;
    }
    using var p = Process.Start(psi)!;
    var stdout = p.StandardOutput.ReadToEnd();
    var stderr = p.StandardError.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException($"{fileName} failed ({p.ExitCode}): {stderr}{stdout}");
    var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
    return line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
}

static int ConfigBench(int tests, string reference, int rounds, bool realTreeOnly, int samples)
{
    var self = Environment.ProcessPath!;
    var selfArgs = new List<string>();
    var entry = System.Reflection.Assembly.GetEntryAssembly()!.Location;
    if (Path.GetFileNameWithoutExtension(self) == "dotnet") selfArgs.Add(entry);
    var dir = Path.Combine(Path.GetTempPath(), "virttest-bench-" + Guid.NewGuid().ToString("N"));
    Directory.CreateDirectory(dir);
    try
    {
        if (realTreeOnly)
        {
            RealTreeBench(self, selfArgs, dir, reference, rounds, samples);
            return 0;
        }
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
        Console.WriteLine();
        RealTreeBench(self, selfArgs, dir, reference, rounds, samples);
        return 0;
    }
    finally
    {
        Directory.Delete(dir, recursive: true);
    }
}

static double MedianOf(IEnumerable<double> values)
{
    var v = values.OrderBy(x => x).ToArray();
    return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
}

static double D(Dictionary<string, string> r, string k) => double.Parse(r[k], System.Globalization.CultureInfo.InvariantCulture);

/// <summary>
/// The real-tree-shaped case: parse cold (JIT included, no cache), parse warm (from the parse
/// cache), the default run (every dict) and 'only boot' with a warm cache, each in its own
/// process, timed inside the process (start-up excluded), beside the reference when given.
/// </summary>
static void RealTreeBench(string self, List<string> selfArgs, string dir, string reference, int rounds, int samples)
{
    var tests = VirtTest.Core.Tests.Config.RealTreeGenerator.Write(Path.Combine(dir, "realtree"), new VirtTest.Core.Tests.Config.RealTreeGenerator.Shape());
    var lines = Directory.GetFiles(Path.Combine(dir, "realtree"), "*.cfg", SearchOption.AllDirectories).Sum(f => File.ReadLines(f).Count());
    var cache = Path.Combine(dir, "cache");
    Dictionary<string, string> Ours(params string[] a) => RunChild(self, selfArgs.Concat(new[] { "config-run", tests }).Concat(a));
    // The bench's own processes collect without a background collector (steadier figures);
    // PowerShell, which runs the module, uses the runtime's default, the concurrent collector,
    // whose smaller young generation reuses memory sooner. The default run, the one figure that
    // setting moves, is also measured so, beside the first (not instead of it).
    var asPowerShell = new Dictionary<string, string> { ["DOTNET_gcConcurrent"] = "1" };
    Dictionary<string, string> OursAsPowerShell(params string[] a) => RunChild(self, selfArgs.Concat(new[] { "config-run", tests }).Concat(a), asPowerShell);
    Console.WriteLine($"Cartesian config benchmark, real-tree-shaped generated tree ({lines:N0} lines, 900 tests under one variants block, guest OS tree 5 deep), {rounds} round(s)");
    var driver = Path.Combine(dir, "ref_run.py");
    File.WriteAllText(driver, ReferenceDriver);
    // Per round, reference time / VirtTest time (wall, CPU) of: parse cold, parse warm, 'only boot' warm, default run.
    // The short measurements (a VirtTest parse takes tens of milliseconds) are taken 'samples' times
    // per round, VirtTest and the reference interleaved, and each side's median is used: a single
    // sample swings by a third on a shared machine. So is VirtTest's default run (under a second);
    // the reference's (tens of seconds, which evens such swings out itself) is one run per round.
    var ratios = new List<double[]>();
    for (var round = 1; round <= rounds; round++)
    {
        if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        Ours("--cache", cache, "--filter", "only boot");   // fills the cache
        var colds = new List<Dictionary<string, string>>();
        var writes = new List<Dictionary<string, string>>();
        var warms = new List<Dictionary<string, string>>();
        var refBoots = new List<Dictionary<string, string>>();
        var alls = new List<Dictionary<string, string>>();
        var allsAsPowerShell = new List<Dictionary<string, string>>();
        for (var sample = 0; sample < samples; sample++)
        {
            colds.Add(Ours("--filter", "only boot"));
            // A user's first run after a change: the parse, and the cache written for the next run.
            var fresh = Path.Combine(dir, "cache-first-run");
            if (Directory.Exists(fresh)) Directory.Delete(fresh, recursive: true);
            writes.Add(Ours("--cache", fresh, "--filter", "only boot"));
            Directory.Delete(fresh, recursive: true);
            warms.Add(Ours("--cache", cache, "--filter", "only boot"));
            alls.Add(Ours("--cache", cache));
            allsAsPowerShell.Add(OursAsPowerShell("--cache", cache));
            if (!string.IsNullOrEmpty(reference)) refBoots.Add(RunChild("python3", new[] { driver, reference, tests, "only boot" }));
        }
        double M(List<Dictionary<string, string>> runs, string key) => MedianOf(runs.Select(x => D(x, key)));
        Console.WriteLine($"  round {round} (medians of {samples} samples; the reference's default run: one):");
        Console.WriteLine($"    VirtTest parse cold (no cache, JIT included): {M(colds, "parse_s") * 1000:F0} ms (CPU {M(colds, "parse_cpu_s") * 1000:F0} ms), {M(colds, "parse_faults"):F0} page faults, {M(colds, "parse_gcs"):F0} collection(s) pausing {M(colds, "parse_gc_pause_ms"):F0} ms");
        Console.WriteLine($"    VirtTest parse and cache write (a first run after a change): {M(writes, "parse_s") * 1000:F0} ms (CPU {M(writes, "parse_cpu_s") * 1000:F0} ms), {M(writes, "parse_faults"):F0} page faults");
        Console.WriteLine($"    VirtTest parse warm (from the parse cache):    {M(warms, "parse_s") * 1000:F0} ms (CPU {M(warms, "parse_cpu_s") * 1000:F0} ms)");
        Console.WriteLine($"    VirtTest 'only boot', warm cache: {warms[0]["dicts"]} dicts in {M(warms, "total_s") * 1000:F0} ms (CPU {M(warms, "total_cpu_s") * 1000:F0} ms)");
        var allSeconds = M(alls, "total_s");
        Console.WriteLine($"    VirtTest default run (warm cache): {alls[0]["dicts"]} dicts in {allSeconds:F2} s = {long.Parse(alls[0]["dicts"]) / allSeconds:N0} dicts/s, peak RSS {M(alls, "peak_rss_mb"):F0} MB, CPU {M(alls, "total_cpu_s"):F2} s, {M(alls, "alloc_mb"):F0} MB allocated, GC pauses {M(alls, "gc_pause_ms"):F0} ms, {M(alls, "jit_methods"):F0} methods compiled by the JIT during the run");
        var allSecondsAsPowerShell = M(allsAsPowerShell, "total_s");
        Console.WriteLine($"    VirtTest default run, PowerShell's GC setting (concurrent): {allSecondsAsPowerShell:F2} s, CPU {M(allsAsPowerShell, "total_cpu_s"):F2} s, peak RSS {M(allsAsPowerShell, "peak_rss_mb"):F0} MB, GC pauses {M(allsAsPowerShell, "gc_pause_ms"):F0} ms");
        if (string.IsNullOrEmpty(reference)) continue;
        var refAll = RunChild("python3", new[] { driver, reference, tests });
        if (refAll["dicts"] != alls[0]["dicts"]) Console.WriteLine($"    WARNING: the reference made {refAll["dicts"]} dicts, VirtTest {alls[0]["dicts"]}");
        if (refBoots[0]["dicts"] != warms[0]["dicts"]) Console.WriteLine($"    WARNING: the reference made {refBoots[0]["dicts"]} dicts for 'only boot', VirtTest {warms[0]["dicts"]}");
        // The reference's parse time: its 'only boot' runs parse the same files (the filter line is one more statement).
        Console.WriteLine($"    reference parse: {M(refBoots, "parse_s") * 1000:F0} ms (CPU {M(refBoots, "parse_cpu_s") * 1000:F0} ms); 'only boot': {M(refBoots, "total_s") * 1000:F0} ms (CPU {M(refBoots, "total_cpu_s") * 1000:F0} ms); default run: {refAll["dicts"]} dicts in {D(refAll, "total_s"):F2} s (CPU {D(refAll, "total_cpu_s"):F2} s), peak RSS {refAll["peak_rss_mb"]} MB");
        var r = new[]
        {
            M(refBoots, "parse_s") / M(colds, "parse_s"), M(refBoots, "parse_cpu_s") / M(colds, "parse_cpu_s"),
            M(refBoots, "parse_s") / M(warms, "parse_s"), M(refBoots, "parse_cpu_s") / M(warms, "parse_cpu_s"),
            M(refBoots, "total_s") / M(warms, "total_s"), M(refBoots, "total_cpu_s") / M(warms, "total_cpu_s"),
            D(refAll, "total_s") / allSeconds, D(refAll, "total_cpu_s") / M(alls, "total_cpu_s"),
            D(refAll, "total_s") / allSecondsAsPowerShell, D(refAll, "total_cpu_s") / M(allsAsPowerShell, "total_cpu_s"),
            M(refBoots, "parse_s") / M(writes, "parse_s"), M(refBoots, "parse_cpu_s") / M(writes, "parse_cpu_s"),
        };
        ratios.Add(r);
        Console.WriteLine($"    ratios (wall / CPU): parse cold {r[0]:F1}x / {r[1]:F1}x; parse warm {r[2]:F1}x / {r[3]:F1}x; 'only boot' warm {r[4]:F1}x / {r[5]:F1}x; default run {r[6]:F1}x / {r[7]:F1}x (PowerShell's GC setting {r[8]:F1}x / {r[9]:F1}x); parse and cache write {r[10]:F1}x / {r[11]:F1}x");
    }
    if (ratios.Count == 0) return;
    double Median(int i) => MedianOf(ratios.Select(r => r[i]));
    Console.WriteLine($"  ratios, reference time / VirtTest time, both timed inside their own process (start-up excluded),");
    Console.WriteLine($"  median of {ratios.Count} round(s); wall clock, then CPU time (steadier on a busy machine):");
    Console.WriteLine($"    parse cold {Median(0):F1}x / {Median(1):F1}x (target >= 20x); parse warm {Median(2):F1}x / {Median(3):F1}x; parse and cache write (a first run after a change) {Median(10):F1}x / {Median(11):F1}x");
    Console.WriteLine($"    'only boot' warm cache {Median(4):F1}x / {Median(5):F1}x (target >= 20x)");
    Console.WriteLine($"    default run {Median(6):F1}x / {Median(7):F1}x (target >= 50x); in PowerShell's GC setting {Median(8):F1}x / {Median(9):F1}x");
}

// Times only parse + expansion inside the reference's own process (interpreter start-up aside).

partial class Program
{
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);

    private const int ClockProcessCpuTime = 2;   // CLOCK_PROCESS_CPUTIME_ID (Linux)

    /// <summary>CPU time of the whole process, all threads: on Linux one system call (as the
    /// reference driver's time.process_time()), elsewhere through <see cref="Process"/>.</summary>
    internal static double ProcessCpuSeconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ClockProcessCpuTime, out var t) == 0) return t.Seconds + t.Nanoseconds / 1e9;
        using var me = Process.GetCurrentProcess();
        return me.TotalProcessorTime.TotalSeconds;
    }

    internal const string ReferenceDriver = """
        import sys, time, resource, importlib.util
        spec = importlib.util.spec_from_file_location("cartesian_config", sys.argv[1])
        mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
        t0 = time.perf_counter(); c0 = time.process_time()
        p = mod.Parser()
        p.parse_file(sys.argv[2])
        for f in sys.argv[3:]: p.parse_string(f)
        t1 = time.perf_counter(); c1 = time.process_time()
        n = 0; keys = 0
        for d in p.get_dicts():
            n += 1; keys += len(d)
        t = time.perf_counter() - t0; c = time.process_time() - c0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        print("dicts=%d keys=%d parse_s=%.3f parse_cpu_s=%.3f total_s=%.3f total_cpu_s=%.3f peak_rss_mb=%.1f" % (n, keys, t1 - t0, c1 - c0, t, c, rss))
        """;
}
