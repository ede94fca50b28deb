using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using VirtTest.Core.Backends.Qemu;
using VirtTest.Core.Config;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.Bench;

/// <summary>
/// The Debian guest (examples/guests/debian12.cfg) booted from its disk through VirtTest beside a
/// bare qemu-system-x86_64 with the same devices read on its stdio serial, alternating, in one
/// run: start to the serial login prompt, and a reboot cycle (<c>reboot</c> typed at a root shell
/// to the next login prompt). Medians of the rounds; which side goes first alternates.
/// </summary>
internal static class RealGuestBench
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(300);
    private const string LoginPrompt = "debian12 login: ";

    // --timeline DIR: each side's reboot console, a line per row with the milliseconds since "reboot"
    // was typed, to see in which phase (shutdown, firmware, kernel, systemd) a difference lies.
    private static string? timelineDir;

    public static async Task<int> RunAsync(int rounds, string? timeline = null)
    {
        timelineDir = timeline;
        if (timelineDir is not null) Directory.CreateDirectory(timelineDir);
        Console.WriteLine($"Real guest (Debian 12 from its disk image, TCG): {rounds} rounds, VirtTest and bare QEMU alternating");
        var bootF = new List<double>();
        var bootB = new List<double>();
        var rebootF = new List<double>();
        var rebootB = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            // Which side goes first alternates, so neither always gets the machine right after the other's guest.
            double fb, fr, bb, br;
            if (r % 2 == 0)
            {
                (fb, fr) = await FrameworkAsync(r);
                (bb, br) = await BareAsync(r);
            }
            else
            {
                (bb, br) = await BareAsync(r);
                (fb, fr) = await FrameworkAsync(r);
            }
            Console.WriteLine($"  round {r + 1}: boot VirtTest {fb:F0} ms, bare {bb:F0} ms; reboot VirtTest {fr:F0} ms, bare {br:F0} ms");
            bootF.Add(fb); bootB.Add(bb); rebootF.Add(fr); rebootB.Add(br);
        }
        double f = Median(bootF), b = Median(bootB), rf = Median(rebootF), rb = Median(rebootB);
        Console.WriteLine($"  start to serial login prompt: VirtTest {f:F0} ms, bare qemu-system + serial read {b:F0} ms, ratio {f / b:F3} (target <= 1.05)");
        Console.WriteLine($"  reboot from the guest to the next login prompt: VirtTest {rf:F0} ms, bare {rb:F0} ms, ratio {rf / rb:F3} (target <= 1.05)");
        return 0;
    }

    private static VirtParams Params(string name)
    {
        string? config = null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && config is null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "examples", "guests", "debian12.cfg");
            if (File.Exists(candidate)) config = candidate;
        }
        var cfg = new CartesianConfig();
        cfg.ParseFile(config ?? throw new FileNotFoundException("examples/guests/debian12.cfg not found above " + AppContext.BaseDirectory));
        cfg.ParseString($"vms = {name}\nmain_vm = {name}", "bench.cfg");
        return cfg.Expand().Single();
    }

    private static async Task<(double Boot, double Reboot)> FrameworkAsync(int round)
    {
        var name = "rgbench" + round;
        var p = Params(name);
        var sw = Stopwatch.StartNew();
        await using var vm = VirtualMachine.FromParams(p, name);
        await vm.StartAsync();
        await vm.WaitForConsoleAsync(new Regex(Regex.Escape(LoginPrompt)), Boot);
        var boot = sw.Elapsed.TotalMilliseconds;
        var options = SessionOptions.FromParams(vm.Params, SessionTransport.Serial, timeout: Boot);
        double reboot;
        await using (var s = await GuestLogin.WaitForLoginAsync(vm, options))
        {
            await s.CmdAsync("systemctl is-system-running --wait", TimeSpan.FromSeconds(120));
            var offset = new FileInfo(vm.ConsoleLogPath!).Length;
            sw.Restart();
            await s.SendLineAsync("reboot");
            await WaitForLogAsync(vm.ConsoleLogPath!, offset, LoginPrompt, sw, timelineDir is null ? null : Path.Combine(timelineDir, $"virttest-{round}.txt"));
            reboot = sw.Elapsed.TotalMilliseconds;
        }
        return (boot, reboot);
    }

    private static async Task WaitForLogAsync(string log, long offset, string text, Stopwatch sw, string? timeline)
    {
        var deadline = DateTime.UtcNow + Boot;
        var stamps = new TimelineWriter(timeline, sw);
        var seen = 0;
        while (true)
        {
            using (var fs = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                fs.Seek(offset, SeekOrigin.Begin);
                var all = await new StreamReader(fs).ReadToEndAsync();
                stamps.Append(all[seen..]);
                seen = all.Length;
                if (all.Contains(text, StringComparison.Ordinal)) { stamps.Dispose(); return; }
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"'{text}' did not appear in {log}");
            await Task.Delay(20);
        }
    }

    /// <summary>Writes each console line once, with the time its end was first seen; fed the console's text as it comes.</summary>
    private sealed class TimelineWriter(string? path, Stopwatch sw) : IDisposable
    {
        private readonly StreamWriter? writer = path is null ? null : new StreamWriter(path);
        private readonly StringBuilder partial = new();

        public void Append(string chunk)
        {
            if (writer is null) return;
            var start = 0;
            for (var nl = chunk.IndexOf('\n'); nl >= 0; nl = chunk.IndexOf('\n', start))
            {
                partial.Append(chunk, start, nl - start);
                writer.WriteLine($"{sw.ElapsedMilliseconds}\t{Regex.Replace(partial.ToString(), @"\e\[[0-9;?]*[A-Za-z]|\r", "")}");
                partial.Clear();
                start = nl + 1;
            }
            partial.Append(chunk, start, chunk.Length - start);
        }

        public void Dispose() => writer?.Dispose();
    }

    private static async Task<(double Boot, double Reboot)> BareAsync(int round)
    {
        var binary = QemuBinary.Get(QemuBackend.DefaultBinary);
        var p = Params("bare");
        // The very same VM as the framework's (disk with its snapshot overlay, NIC, port forward,
        // RNG), minus what only the framework needs: stopped CPUs until the monitor connects, the
        // monitor, the console socket and its log.
        var dir = Path.Combine(Path.GetTempPath(), "virttest-bare-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        using var port = VirtTest.Core.Resources.PortAllocator.ReservePort();
        var args = QemuCommandLine.Build("bare", p, binary, QemuRuntimePaths.In(dir), incoming: null,
            new Dictionary<string, int> { ["remote_shell"] = port.Port }).ToList();
        args.Remove("-S");
        for (var i = 0; i < args.Count - 1; i++)
        {
            if (args[i] is "-chardev" or "-mon" or "-serial") { args.RemoveAt(i + 1); args.RemoveAt(i); i--; }
        }
        args.AddRange(new[] { "-serial", "stdio" });
        var psi = new ProcessStartInfo(binary.Path) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using var qemu = Process.Start(psi)!;
        try
        {
            // The console text not yet matched; each read searches only its new end (plus the
            // pattern's length of overlap), so reading costs the same per character however much
            // the guest printed: the baseline must not pay for a harness the framework side lacks.
            var unmatched = new StringBuilder();
            var buffer = new char[4096];
            TimelineWriter? stamps = null;
            async Task WaitForAsync(string text)
            {
                var searchFrom = 0;
                while (true)
                {
                    if (unmatched.Length - searchFrom >= text.Length)
                    {
                        var at = unmatched.ToString(searchFrom, unmatched.Length - searchFrom).IndexOf(text, StringComparison.Ordinal);
                        if (at >= 0)
                        {
                            unmatched.Remove(0, searchFrom + at + text.Length);
                            return;
                        }
                        searchFrom = unmatched.Length - text.Length + 1;
                    }
                    var n = await qemu.StandardOutput.ReadAsync(buffer);
                    if (n == 0) throw new InvalidOperationException("QEMU ended: " + unmatched);
                    unmatched.Append(buffer, 0, n);
                    stamps?.Append(new string(buffer, 0, n));
                }
            }
            async Task TypeAsync(string line)
            {
                await qemu.StandardInput.WriteAsync(line + "\n");
                await qemu.StandardInput.FlushAsync();
            }
            await WaitForAsync(LoginPrompt);
            var boot = sw.Elapsed.TotalMilliseconds;
            await TypeAsync(p.Get("username")!);
            await WaitForAsync("Password: ");
            await Task.Delay(300);
            await TypeAsync(p.Get("password")!);
            await WaitForAsync("# ");
            await TypeAsync("systemctl is-system-running --wait; echo bench-$((6*7))");
            await WaitForAsync("bench-42");
            sw.Restart();
            stamps = new TimelineWriter(timelineDir is null ? null : Path.Combine(timelineDir, $"bare-{round}.txt"), sw);
            await TypeAsync("reboot");
            await WaitForAsync(LoginPrompt);
            var reboot = sw.Elapsed.TotalMilliseconds;
            stamps.Dispose();
            return (boot, reboot);
        }
        finally
        {
            qemu.Kill(true);
            qemu.WaitForExit();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
