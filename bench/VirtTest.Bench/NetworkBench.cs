using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using VirtTest.Core.Backends.Qemu;
using VirtTest.Core.Network;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.Bench;

/// <summary>
/// Guest networking, side by side in one run on one test network (root needed):
/// host-to-guest TCP throughput through a tap on the bridge for a VM VirtTest started
/// (nettype = bridge) against the same QEMU command line started by hand on a tap made by
/// hand, transfers alternated round by round; and the latency of the guest-address lookup
/// (DHCP leases, and the guest's own view over the serial console).
/// </summary>
internal static class NetworkBench
{
    private const int Port = 5001;
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);

    public static async Task<int> RunAsync(int megabytes, int rounds, int lookups)
    {
        Console.WriteLine($"Network benchmark ({rounds} rounds of {megabytes} MiB host -> guest TCP per VM, medians; {lookups} address lookups)");
        await using var net = await TestNetwork.CreateAsync();
        var guest = TestGuest.Locate();
        var p = guest.CreateParams("netbench");
        foreach (var (k, v) in net.NicParams) p[k] = v;
        p["redirs"] = "";
        await using var vm = VirtualMachine.FromParams(p, "netbench");
        await vm.StartAsync();
        await vm.WaitForConsoleAsync(new Regex(Regex.Escape(guest.ReadyLine)), Boot);
        var frameworkAddress = (await net.WaitForLeaseAsync(vm.Nics[0].Mac!, Boot)).Address;
        await using var frameworkConsole = await SerialSession.ConnectAsync(vm, new Regex(guest.ShellPrompt), TimeSpan.FromSeconds(10));
        await frameworkConsole.WaitForPromptAsync(TimeSpan.FromSeconds(30));

        await using var hand = await HandStartedVm.StartAsync(guest, net);
        var handAddress = (await net.WaitForLeaseAsync(hand.Mac, Boot)).Address;

        var framework = new List<double>();
        var byHand = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            framework.Add(await TransferAsync(frameworkConsole, frameworkAddress, megabytes));
            byHand.Add(await TransferAsync(hand.Console, handAddress, megabytes));
        }
        var f = Median(framework);
        var h = Median(byHand);
        Console.WriteLine($"  host -> guest TCP: VirtTest-started VM {megabytes / f:F1} MiB/s, same command line by hand {megabytes / h:F1} MiB/s");
        Console.WriteLine($"  throughput ratio by-hand/VirtTest = {f / h:F3} (target <= 1.05)");

        var leases = await LatencyAsync(lookups, () => VmAddressResolver.ResolveAsync(vm, new AddressQuery()));
        var own = await LatencyAsync(Math.Max(1, lookups / 10), () => VmAddressResolver.ResolveAsync(vm, new AddressQuery { Session = frameworkConsole, Source = AddressSource.Guest }));
        Console.WriteLine($"  Get-VirtVmAddress latency: DHCP leases {leases * 1000:F0} us, guest's own view over the serial console {own:F1} ms (medians)");
        return 0;
    }

    /// <summary>Seconds to send <paramref name="megabytes"/> MiB to <c>nc -l</c> in the guest until it has read them all and closed.</summary>
    private static async Task<double> TransferAsync(GuestSession console, IPAddress address, int megabytes)
    {
        await console.SendLineAsync($"nc -l -p {Port} > /dev/null");
        using var client = new TcpClient();
        for (var attempt = 0; ; attempt++)
        {
            try { await client.ConnectAsync(address, Port); break; }
            catch (SocketException) when (attempt < 100) { await Task.Delay(50); }
        }
        var stream = client.GetStream();
        var buffer = new byte[256 * 1024];
        Random.Shared.NextBytes(buffer);
        var sw = Stopwatch.StartNew();
        for (long sent = 0, total = megabytes * 1024L * 1024L; sent < total; sent += buffer.Length) await stream.WriteAsync(buffer);
        client.Client.Shutdown(SocketShutdown.Send);
        // nc exits at end of input and closes the connection: everything was read by then.
        while (await stream.ReadAsync(buffer) > 0) { }
        var seconds = sw.Elapsed.TotalSeconds;
        await console.ReadUntilPromptAsync(TimeSpan.FromSeconds(30));
        return seconds;
    }

    private static async Task<double> LatencyAsync(int count, Func<Task<IReadOnlyList<VmAddress>>> lookup)
    {
        var times = new List<double>();
        for (var i = 0; i < count; i++)
        {
            var sw = Stopwatch.StartNew();
            var result = await lookup();
            times.Add(sw.Elapsed.TotalMilliseconds);
            if (!result.Any(a => a.HasAddress)) throw new InvalidOperationException("the lookup found no address");
        }
        return Median(times);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>
    /// The baseline: the command line VirtTest builds for the same params (minus the stopped
    /// start), run as a plain process on a tap made and bridged with plain ip commands.
    /// </summary>
    private sealed class HandStartedVm : IAsyncDisposable
    {
        private readonly Process _qemu;
        private readonly string _dir;
        private readonly string _tap;
        private readonly TestNetwork _net;

        private HandStartedVm(Process qemu, string dir, string tap, string mac, TestNetwork net, SerialSession console)
        {
            _qemu = qemu;
            _dir = dir;
            _tap = tap;
            Mac = mac;
            _net = net;
            Console = console;
        }

        public string Mac { get; }
        public SerialSession Console { get; }

        public static async Task<HandStartedVm> StartAsync(TestGuest guest, TestNetwork net)
        {
            var dir = Path.Combine(Path.GetTempPath(), "virttest-nbench-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(dir);
            var tap = InterfaceName.Prefix + InterfaceName.NewId(2) + "-hand";
            const string mac = "52:54:00:be:ac:01";
            // Recorded in the ledger like any VirtTest tap, so a crashed run leaves nothing.
            await TapDevice.CreateAsync(tap, multiQueue: false);
            var p = guest.CreateParams("hand");
            foreach (var (k, v) in net.NicParams) p[k] = v;
            p["redirs"] = "";
            p["mac"] = mac;
            var binary = QemuBinary.Get(QemuBackend.DefaultBinary);
            var paths = QemuRuntimePaths.In(dir);
            var args = QemuCommandLine.Build("hand", p, binary, paths, incoming: null, taps: new Dictionary<string, string> { ["nic1"] = tap }).ToList();
            args.Remove("-S");
            var psi = new ProcessStartInfo(binary.Path) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            var qemu = Process.Start(psi)!;
            try
            {
                await Task.Delay(200); // QEMU opens the tap at start-up
                await Ip("link", "set", "dev", tap, "netns", net.Namespace);
                await Ip("-n", net.Namespace, "link", "set", "dev", tap, "master", net.Bridge, "up");
                var console = await SerialSession.ConnectAsync(paths.SerialSocket, "hand serial", new Regex(guest.ShellPrompt), TimeSpan.FromSeconds(30));
                var deadline = DateTime.UtcNow + Boot;
                while (!File.Exists(paths.ConsoleLog) || !File.ReadAllText(paths.ConsoleLog).Contains(guest.ReadyLine, StringComparison.Ordinal))
                {
                    if (DateTime.UtcNow > deadline || qemu.HasExited) throw new InvalidOperationException("the hand-started guest did not boot");
                    await Task.Delay(100);
                }
                await console.WaitForPromptAsync(TimeSpan.FromSeconds(30));
                return new HandStartedVm(qemu, dir, tap, mac, net, console);
            }
            catch
            {
                qemu.Kill(true);
                qemu.WaitForExit();
                await TapDevice.DeleteAsync(tap, null);
                await TapDevice.DeleteAsync(tap, net.Namespace);
                Directory.Delete(dir, recursive: true);
                throw;
            }
        }

        private static async Task Ip(params string[] args)
        {
            var r = await NetworkTool.RunAsync(NetworkTool.Ip, args, TimeSpan.FromSeconds(10));
            if (!r.Succeeded) throw new InvalidOperationException(r.CommandLine + ": " + r.StandardError);
        }

        public async ValueTask DisposeAsync()
        {
            await Console.DisposeAsync();
            _qemu.Kill(true);
            _qemu.WaitForExit();
            _qemu.Dispose();
            await TapDevice.DeleteAsync(_tap, _net.Namespace);
            Directory.Delete(_dir, recursive: true);
        }
    }
}
