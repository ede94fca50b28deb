using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using VirtTest.Core.Backends.Qemu;
using VirtTest.Core.Config;
using VirtTest.Core.Monitor;
using VirtTest.Core.Storage;
using VirtTest.Core.Vm;

namespace VirtTest.Bench;

/// <summary>
/// Disk hot-plug latency: VirtualMachine.AddDiskAsync (returns once query-block lists the
/// disk) and RemoveDiskAsync (once DEVICE_DELETED came and the node is closed) beside a raw QMP
/// client doing the same commands (blockdev-add, device_add, query-block until listed;
/// device_del, wait for DEVICE_DELETED, blockdev-del) on a second, identical QEMU. SCSI disks
/// on a virtio-scsi controller, QEMU paused (-S, no guest): a SCSI unplug needs no guest, so
/// this measures the monitor side only. Cycles alternate between the two, medians.
/// </summary>
internal static class HotplugBench
{
    public static async Task<int> RunAsync(int cycles)
    {
        Console.WriteLine($"Disk hot-plug benchmark (SCSI disk on a paused QEMU, {cycles} cycles each, alternating, medians)");
        var dir = Path.Combine(Path.GetTempPath(), "virttest-hpbench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            var (boot, hot) = await CreateImagesAsync(dir);

            var p = new VirtParams
            {
                ["vms"] = "hp", ["vm_type"] = "qemu", ["machine_type"] = "pc", ["mem"] = "64", ["vga"] = "none", ["display"] = "none",
                ["images"] = "boot", ["image_filename_boot"] = boot, ["drive_format_boot"] = "scsi",
            };
            await using var vm = VirtualMachine.FromParams(p, "hp");
            await vm.StartAsync(paused: true);
            using var raw = await RawQemu.StartAsync(dir);

            var frameworkAdd = new List<double>();
            var frameworkCycle = new List<double>();
            var rawAdd = new List<double>();
            var rawCycle = new List<double>();
            var spec = new DiskSpec(hot) { Bus = DiskBus.Scsi, Id = "hot", Format = "qcow2" };
            // One unmeasured cycle each: JIT, QEMU's first-use paths.
            await FrameworkCycleAsync(vm, spec);
            await raw.CycleAsync(hot);
            for (var i = 0; i < cycles; i++)
            {
                var (fa, fc) = await FrameworkCycleAsync(vm, spec);
                var (ra, rc) = await raw.CycleAsync(hot);
                frameworkAdd.Add(fa); frameworkCycle.Add(fc); rawAdd.Add(ra); rawCycle.Add(rc);
            }
            Console.WriteLine($"  plug until listed: VirtTest {Median(frameworkAdd):F1} ms, raw QMP client {Median(rawAdd):F1} ms, ratio {Median(frameworkAdd) / Median(rawAdd):F2}");
            Console.WriteLine($"  plug + unplug:     VirtTest {Median(frameworkCycle):F1} ms, raw QMP client {Median(rawCycle):F1} ms, ratio {Median(frameworkCycle) / Median(rawCycle):F2}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        await GuestSeesItAsync(Math.Max(3, cycles / 3));
        return 0;
    }

    /// <summary>
    /// The guest's view: one booted test guest (busybox, virtio-scsi), one QEMU with two QMP
    /// monitors, the framework's and a raw client's, plugging the same image in turn. Before
    /// each plug (or unplug) a loop in the guest shell waits for /sys/block/sdb to appear (or to
    /// go) and prints a marker on the serial console; the time runs from the plug call to the
    /// marker (for an unplug: to the marker and the call's return, whichever is later). Both
    /// sides share the guest, its console and the detection, so the ratio is the framework's
    /// share; the absolute figure is mostly the guest's (SCSI rescan under TCG).
    /// </summary>
    private static async Task GuestSeesItAsync(int cycles)
    {
        var guest = TestGuest.Locate();
        Console.WriteLine($"Disk hot-plug as the guest sees it (booted test guest, {cycles} cycles each, alternating, medians)");
        var dir = Path.Combine(Path.GetTempPath(), "virttest-hpguest-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            var (boot, hot) = await CreateImagesAsync(dir);
            var rawQmp = Path.Combine(dir, "raw-qmp.sock");
            var p = guest.CreateParams("hpguest", memoryMB: 256);
            p["nics"] = "";
            p["kernel_params"] = guest.KernelParams + " virttest.nonet=1";
            p["images"] = "boot";
            p["image_filename_boot"] = boot;
            p["drive_format_boot"] = "scsi";
            // The raw client's own monitor on the same QEMU (QMP serves several).
            p["extra_params"] = $"-qmp unix:{rawQmp},server=on,wait=off";
            await using var vm = VirtualMachine.FromParams(p, "hpguest");
            await vm.StartAsync(new VmStartOptions { Wait = ReadyWait.Required, Timeout = TimeSpan.FromSeconds(120) });
            await using var console = await VirtTest.Core.Session.SerialSession.ConnectAsync(vm, new System.Text.RegularExpressions.Regex(guest.ShellPrompt), TimeSpan.FromSeconds(30));
            await console.WaitForPromptAsync(TimeSpan.FromSeconds(30));
            using var raw = await RawQmpClient.ConnectAsync(rawQmp);
            var spec = new DiskSpec(hot) { Bus = DiskBus.Scsi, Id = "hot", Format = "qcow2" };

            var marker = 0;
            async Task<(double Seen, double Gone)> CycleAsync(Func<Task> plug, Func<Task> unplug)
            {
                var seen = await TimeUntilGuestAsync(console, "[ ! -e /sys/block/sdb ]", ++marker, plug);
                var gone = await TimeUntilGuestAsync(console, "[ -e /sys/block/sdb ]", ++marker, unplug);
                return (seen, gone);
            }
            Func<Task> frameworkPlug = () => vm.AddDiskAsync(spec, TimeSpan.FromSeconds(30));
            Func<Task> frameworkUnplug = () => vm.RemoveDiskAsync("hot", TimeSpan.FromSeconds(30));
            Func<Task> rawPlug = () => raw.PlugAsync(hot, "rawhot", untilListed: false);
            Func<Task> rawUnplug = () => raw.UnplugAsync("rawhot");

            var fSeen = new List<double>(); var fGone = new List<double>();
            var rSeen = new List<double>(); var rGone = new List<double>();
            await CycleAsync(frameworkPlug, frameworkUnplug);   // unmeasured: JIT, first-use paths
            await CycleAsync(rawPlug, rawUnplug);
            for (var i = 0; i < cycles; i++)
            {
                var (fs, fg) = await CycleAsync(frameworkPlug, frameworkUnplug);
                var (rs, rg) = await CycleAsync(rawPlug, rawUnplug);
                fSeen.Add(fs); fGone.Add(fg); rSeen.Add(rs); rGone.Add(rg);
            }
            Console.WriteLine($"  plug until the guest sees sdb:   VirtTest {Median(fSeen):F1} ms, raw QMP client {Median(rSeen):F1} ms, ratio {Median(fSeen) / Median(rSeen):F2}");
            Console.WriteLine($"  unplug until the guest lost it:  VirtTest {Median(fGone):F1} ms, raw QMP client {Median(rGone):F1} ms, ratio {Median(fGone) / Median(rGone):F2}");
            await vm.StopAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Starts a guest loop that prints a marker once <paramref name="whileCondition"/> stops holding,
    /// waits until the shell runs it (its echo), then times <paramref name="action"/> until the marker
    /// came and the action returned.
    /// </summary>
    private static async Task<double> TimeUntilGuestAsync(VirtTest.Core.Session.SerialSession console, string whileCondition, int marker, Func<Task> action)
    {
        // The echoed command line shows 'MARK""-n', the output 'MARK-n': only the output matches.
        await console.SendLineAsync($"while {whileCondition}; do usleep 2000; done; echo MARK\"\"-{marker}");
        await console.ReadUntilAsync(new System.Text.RegularExpressions.Regex($"MARK\"\"-{marker}"), TimeSpan.FromSeconds(30));
        var sw = Stopwatch.StartNew();
        var acted = action();
        await console.ReadUntilAsync(new System.Text.RegularExpressions.Regex($"MARK-{marker}\\b"), TimeSpan.FromSeconds(60));
        await acted;
        var elapsed = sw.Elapsed.TotalMilliseconds;
        await console.ReadUntilPromptAsync(TimeSpan.FromSeconds(30));
        return elapsed;
    }

    private static async Task<(double Add, double Cycle)> FrameworkCycleAsync(VirtualMachine vm, DiskSpec spec)
    {
        var sw = Stopwatch.StartNew();
        await vm.AddDiskAsync(spec, TimeSpan.FromSeconds(30));
        var add = sw.Elapsed.TotalMilliseconds;
        await vm.RemoveDiskAsync(spec.Id!, TimeSpan.FromSeconds(30));
        return (add, sw.Elapsed.TotalMilliseconds);
    }

    /// <summary>A 1-MB boot disk and the 16-MB disk to plug, both qcow2, in <paramref name="dir"/>.</summary>
    private static async Task<(string Boot, string Hot)> CreateImagesAsync(string dir)
    {
        var tool = new QemuImg();
        var boot = Path.Combine(dir, "boot.qcow2");
        var hot = Path.Combine(dir, "hot.qcow2");
        await tool.CreateAsync(boot, new ImageCreateOptions { Size = "1M" });
        await tool.CreateAsync(hot, new ImageCreateOptions { Size = "16M" });
        return (boot, hot);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>
    /// A line-by-line QMP client: the least a test could do. Plugs and unplugs one SCSI disk
    /// (blockdev-add + device_add; device_del, DEVICE_DELETED, blockdev-del), nothing else.
    /// </summary>
    private sealed class RawQmpClient : IDisposable
    {
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private readonly StreamReader _reader;

        private RawQmpClient(Socket socket)
        {
            _socket = socket;
            _stream = new NetworkStream(socket);
            _reader = new StreamReader(_stream, Encoding.UTF8);
        }

        /// <summary>Connects (retrying while QEMU creates the socket) and leaves capabilities negotiation.</summary>
        public static async Task<RawQmpClient> ConnectAsync(string path)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            for (var attempt = 0; ; attempt++)
            {
                try { await socket.ConnectAsync(new UnixDomainSocketEndPoint(path)); break; }
                catch (SocketException) when (attempt < 250) { await Task.Delay(20); }
            }
            var client = new RawQmpClient(socket);
            await client._reader.ReadLineAsync();                            // greeting
            await client.CommandAsync("{\"execute\":\"qmp_capabilities\"}");
            return client;
        }

        /// <summary>Sends one command and returns its reply line (events read on the way are dropped).</summary>
        private async Task<string> CommandAsync(string json)
        {
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(json + "\n"));
            while (true)
            {
                var line = await _reader.ReadLineAsync() ?? throw new InvalidOperationException("QMP closed");
                if (line.StartsWith("{\"return\"", StringComparison.Ordinal)) return line;
                if (line.StartsWith("{\"error\"", StringComparison.Ordinal)) throw new InvalidOperationException(line);
            }
        }

        /// <summary>Plugs <paramref name="file"/> as SCSI disk <paramref name="id"/>; with <paramref name="untilListed"/> asks query-block until it lists the disk.</summary>
        public async Task PlugAsync(string file, string id, bool untilListed)
        {
            await CommandAsync("{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"qcow2\",\"node-name\":\"n-" + id + "\",\"file\":{\"driver\":\"file\",\"filename\":\"" + file + "\"}}}");
            await CommandAsync("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"scsi-hd\",\"id\":\"" + id + "\",\"drive\":\"n-" + id + "\"}}");
            while (untilListed)
            {
                var blocks = await CommandAsync("{\"execute\":\"query-block\"}");
                if (blocks.Contains("\"qdev\": \"" + id + "\"", StringComparison.Ordinal) || blocks.Contains("\"qdev\":\"" + id + "\"", StringComparison.Ordinal)) break;
            }
        }

        /// <summary>Unplugs disk <paramref name="id"/>: device_del, its DEVICE_DELETED event, blockdev-del.</summary>
        public async Task UnplugAsync(string id)
        {
            await _stream.WriteAsync(Encoding.UTF8.GetBytes("{\"execute\":\"device_del\",\"arguments\":{\"id\":\"" + id + "\"}}\n"));
            var deleted = false;
            var returned = false;
            while (!(deleted && returned))
            {
                var line = await _reader.ReadLineAsync() ?? throw new InvalidOperationException("QMP closed");
                if (line.StartsWith("{\"return\"", StringComparison.Ordinal)) returned = true;
                else if (line.Contains("DEVICE_DELETED", StringComparison.Ordinal) && line.Contains("\"" + id + "\"", StringComparison.Ordinal)) deleted = true;
                else if (line.StartsWith("{\"error\"", StringComparison.Ordinal)) throw new InvalidOperationException(line);
            }
            await CommandAsync("{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"n-" + id + "\"}}");
        }

        public void Dispose()
        {
            _reader.Dispose();
            _stream.Dispose();
            _socket.Dispose();
        }
    }

    /// <summary>A bare QEMU with the same devices, driven by <see cref="RawQmpClient"/>.</summary>
    private sealed class RawQemu : IDisposable
    {
        private readonly Process _qemu;
        private readonly RawQmpClient _qmp;

        private RawQemu(Process qemu, RawQmpClient qmp)
        {
            _qemu = qemu;
            _qmp = qmp;
        }

        public static async Task<RawQemu> StartAsync(string dir)
        {
            var qmp = Path.Combine(dir, "raw-qmp.sock");
            var psi = new ProcessStartInfo(QemuBinary.Get(QemuBackend.DefaultBinary).Path) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "-machine", "pc", "-accel", "tcg", "-nodefaults", "-display", "none", "-vga", "none", "-S", "-m", "64",
                         "-device", "virtio-scsi-pci,id=scsi0", "-qmp", $"unix:{qmp},server=on,wait=off" })
                psi.ArgumentList.Add(a);
            var qemu = Process.Start(psi)!;
            try
            {
                return new RawQemu(qemu, await RawQmpClient.ConnectAsync(qmp));
            }
            catch
            {
                qemu.Kill(true);
                qemu.Dispose();
                throw;
            }
        }

        public async Task<(double Add, double Cycle)> CycleAsync(string file)
        {
            var sw = Stopwatch.StartNew();
            await _qmp.PlugAsync(file, "hot", untilListed: true);
            var add = sw.Elapsed.TotalMilliseconds;
            await _qmp.UnplugAsync("hot");
            return (add, sw.Elapsed.TotalMilliseconds);
        }

        public void Dispose()
        {
            _qmp.Dispose();
            try { _qemu.Kill(true); } catch (InvalidOperationException) { }
            _qemu.WaitForExit();
            _qemu.Dispose();
        }
    }
}
