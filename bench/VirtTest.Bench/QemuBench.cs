using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using VirtTest.Core.Backends.Qemu;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.Bench;

/// <summary>
/// Framework overhead against bare baselines, measured side by side in one run and
/// alternated round by round so machine noise hits both alike:
/// QMP round trips through <see cref="QmpClient"/> vs a minimal raw socket client, and
/// QEMU start to first answered console command through VirtualMachine + SerialSession vs
/// a bare qemu-system process read on its stdio serial.
/// </summary>
internal static class QemuBench
{
    public static async Task<int> RunAsync(int calls, int rounds, bool boot = true)
    {
        // QMP rounds are cheap (under a second each) and their spread on a shared machine is wide
        // (single rounds from 0.8 to 1.4, medians of 5 from 1.02 to 1.24): six times the rounds.
        Console.WriteLine($"QEMU benchmark (QMP: {rounds * 6} rounds, boot: {rounds} rounds, medians)");
        var dir = Path.Combine(Path.GetTempPath(), "virttest-qbench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            await QmpRoundTripsAsync(dir, calls, rounds * 6);
            if (boot) await BootToCommandAsync(rounds);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        return 0;
    }

    private static async Task QmpRoundTripsAsync(string dir, int calls, int rounds)
    {
        var socket = Path.Combine(dir, "qmp.sock");
        var psi = new ProcessStartInfo(QemuBinary.Get(QemuBackend.DefaultBinary).Path) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { "-machine", "pc", "-accel", "tcg", "-nodefaults", "-display", "none", "-S", "-m", "64",
                     "-chardev", $"socket,id=q1,path={socket},server=on,wait=off", "-mon", "chardev=q1,mode=control" }) psi.ArgumentList.Add(a);
        using var qemu = Process.Start(psi)!;
        try
        {
            var core = new List<double>();
            var raw = new List<double>();
            var rawNoId = new List<double>();
            for (var r = 0; r < rounds; r++)
            {
                // QEMU serves one QMP client per socket at a time: connect, measure, disconnect.
                await using (var client = await QmpClient.ConnectAsync(socket, TimeSpan.FromSeconds(10)))
                {
                    var sw = Stopwatch.StartNew();
                    for (var i = 0; i < calls; i++) await client.ExecuteAsync("query-status");
                    core.Add(sw.Elapsed.TotalMilliseconds);
                }
                raw.Add(await RawClientAsync(socket, calls, withIds: true));
                rawNoId.Add(await RawClientAsync(socket, calls, withIds: false));
            }
            var c = Median(core);
            var b = Median(raw);
            var n = Median(rawNoId);
            Console.WriteLine($"  QMP {calls} x query-status: VirtTest QmpClient {c:F0} ms ({c * 1000 / calls:F0} us/call), raw socket client {b:F0} ms ({b * 1000 / calls:F0} us/call)");
            Console.WriteLine($"  QMP overhead ratio VirtTest/raw = {c / b:F3} (target <= 1.10)");
            // QEMU reads QMP input one byte per main-loop turn, so request length alone moves the
            // round trip by ~5 us/byte: the raw client sends the same bytes (a numeric id) as ours.
            // The id-less figure shows what command ids themselves cost on the wire.
            Console.WriteLine($"  (raw client without command ids: {n * 1000 / calls:F0} us/call; VirtTest/raw-without-ids = {c / n:F3})");
        }
        finally
        {
            qemu.Kill(true);
            qemu.WaitForExit();
        }
    }

    /// <summary>
    /// The least a client can do: one line out, one line in, no parsing beyond finding the reply.
    /// With <paramref name="withIds"/> each request carries a numeric id like VirtTest's, so both
    /// put the same bytes on the wire (the reply's id is not checked: one call at a time).
    /// </summary>
    private static async Task<double> RawClientAsync(string socketPath, int calls, bool withIds)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        for (var attempt = 0; ; attempt++)
        {
            try { await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath)); break; }
            catch (SocketException) when (attempt < 100) { await Task.Delay(20); }
        }
        await using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await reader.ReadLineAsync();                                   // greeting
        var caps = Encoding.UTF8.GetBytes("{\"execute\":\"qmp_capabilities\"}\n");
        await stream.WriteAsync(caps);
        await reader.ReadLineAsync();
        var request = Encoding.UTF8.GetBytes("{\"execute\":\"query-status\"}\n");
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            await stream.WriteAsync(withIds ? Encoding.UTF8.GetBytes("{\"execute\":\"query-status\",\"id\":" + (i + 2) + "}\n") : request);
            string? line;
            do { line = await reader.ReadLineAsync(); } while (line is not null && !line.StartsWith("{\"return\"", StringComparison.Ordinal));
        }
        return sw.Elapsed.TotalMilliseconds;
    }

    private static async Task BootToCommandAsync(int rounds)
    {
        var guest = TestGuest.Locate();
        var framework = new List<double>();
        var bare = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            framework.Add(await FrameworkBootAsync(guest, r));
            bare.Add(await BareBootAsync(guest));
        }
        var f = Median(framework);
        var b = Median(bare);
        Console.WriteLine($"  start to first answered console command: VirtTest {f:F0} ms, bare qemu-system + serial read {b:F0} ms");
        Console.WriteLine($"  boot overhead ratio VirtTest/bare = {f / b:F3} (target <= 1.10)");
    }

    private static async Task<double> FrameworkBootAsync(TestGuest guest, int round)
    {
        var sw = Stopwatch.StartNew();
        await using var vm = VirtualMachine.FromParams(guest.CreateParams("bench" + round), "bench" + round);
        await vm.StartAsync();
        await vm.WaitForConsoleAsync(new Regex(Regex.Escape(guest.ReadyLine)), TimeSpan.FromSeconds(120));
        await using var console = await SerialSession.ConnectAsync(vm, new Regex(guest.ShellPrompt), TimeSpan.FromSeconds(10));
        var (_, status, output, _) = await console.CmdStatusOutputAsync("echo bench-answer", TimeSpan.FromSeconds(60));
        var elapsed = sw.Elapsed.TotalMilliseconds;
        if (status != 0 || !output.Contains("bench-answer")) throw new InvalidOperationException("the guest did not answer: " + output);
        return elapsed;
    }

    private static async Task<double> BareBootAsync(TestGuest guest)
    {
        var sw = Stopwatch.StartNew();
        var binary = QemuBinary.Get(QemuBackend.DefaultBinary);
        var psi = new ProcessStartInfo(binary.Path)
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        // The very same VM as the framework's (devices, port forward, kernel), minus what only the
        // framework needs: stopped CPUs until the monitor connects, the monitor, the console socket.
        var dir = Path.Combine(Path.GetTempPath(), "virttest-bare-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        using var port = VirtTest.Core.Resources.PortAllocator.ReservePort();
        var vmParams = guest.CreateParams("bare");
        var args = QemuCommandLine.Build("bare", vmParams, binary, QemuRuntimePaths.In(dir), incoming: null,
            new Dictionary<string, int> { ["remote_shell"] = port.Port }).ToList();
        args.Remove("-S");
        for (var i = 0; i < args.Count - 1; i++)
        {
            if (args[i] is "-chardev" or "-mon" or "-serial") { args.RemoveAt(i + 1); args.RemoveAt(i); i--; }
        }
        args.AddRange(new[] { "-serial", "stdio" });
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var qemu = Process.Start(psi)!;
        try
        {
            var seen = new StringBuilder();
            var buffer = new char[4096];
            async Task WaitForAsync(string text)
            {
                while (!seen.ToString().Contains(text, StringComparison.Ordinal))
                {
                    var n = await qemu.StandardOutput.ReadAsync(buffer);
                    if (n == 0) throw new InvalidOperationException("QEMU ended: " + seen);
                    seen.Append(buffer, 0, n);
                }
            }
            await WaitForAsync(guest.ReadyLine);
            await qemu.StandardInput.WriteAsync("echo bench-$((6*7))\n");
            await qemu.StandardInput.FlushAsync();
            await WaitForAsync("bench-42");
            return sw.Elapsed.TotalMilliseconds;
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
