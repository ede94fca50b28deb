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
            var tool = new QemuImg();
            var boot = Path.Combine(dir, "boot.qcow2");
            var hot = Path.Combine(dir, "hot.qcow2");
            await tool.CreateAsync(boot, new ImageCreateOptions { Size = "1M" });
            await tool.CreateAsync(hot, new ImageCreateOptions { Size = "16M" });

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
        return 0;
    }

    private static async Task<(double Add, double Cycle)> FrameworkCycleAsync(VirtualMachine vm, DiskSpec spec)
    {
        var sw = Stopwatch.StartNew();
        await vm.AddDiskAsync(spec, TimeSpan.FromSeconds(30));
        var add = sw.Elapsed.TotalMilliseconds;
        await vm.RemoveDiskAsync(spec.Id!, TimeSpan.FromSeconds(30));
        return (add, sw.Elapsed.TotalMilliseconds);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>A bare QEMU with the same devices and a line-by-line QMP client: the least a test could do.</summary>
    private sealed class RawQemu : IDisposable
    {
        private readonly Process _qemu;
        private readonly Socket _socket;
        private readonly NetworkStream _stream;
        private readonly StreamReader _reader;

        private RawQemu(Process qemu, Socket socket)
        {
            _qemu = qemu;
            _socket = socket;
            _stream = new NetworkStream(socket);
            _reader = new StreamReader(_stream, Encoding.UTF8);
        }

        public static async Task<RawQemu> StartAsync(string dir)
        {
            var qmp = Path.Combine(dir, "raw-qmp.sock");
            var psi = new ProcessStartInfo(QemuBinary.Get(QemuBackend.DefaultBinary).Path) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "-machine", "pc", "-accel", "tcg", "-nodefaults", "-display", "none", "-vga", "none", "-S", "-m", "64",
                         "-device", "virtio-scsi-pci,id=scsi0", "-qmp", $"unix:{qmp},server=on,wait=off" })
                psi.ArgumentList.Add(a);
            var qemu = Process.Start(psi)!;
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            for (var attempt = 0; ; attempt++)
            {
                try { await socket.ConnectAsync(new UnixDomainSocketEndPoint(qmp)); break; }
                catch (SocketException) when (attempt < 250) { await Task.Delay(20); }
            }
            var raw = new RawQemu(qemu, socket);
            await raw._reader.ReadLineAsync();                            // greeting
            await raw.CommandAsync("{\"execute\":\"qmp_capabilities\"}");
            return raw;
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

        public async Task<(double Add, double Cycle)> CycleAsync(string file)
        {
            var sw = Stopwatch.StartNew();
            await CommandAsync("{\"execute\":\"blockdev-add\",\"arguments\":{\"driver\":\"qcow2\",\"node-name\":\"n-hot\",\"file\":{\"driver\":\"file\",\"filename\":\"" + file + "\"}}}");
            await CommandAsync("{\"execute\":\"device_add\",\"arguments\":{\"driver\":\"scsi-hd\",\"id\":\"hot\",\"drive\":\"n-hot\",\"bus\":\"scsi0.0\"}}");
            while (true)
            {
                var blocks = await CommandAsync("{\"execute\":\"query-block\"}");
                if (blocks.Contains("\"qdev\": \"hot\"", StringComparison.Ordinal) || blocks.Contains("\"qdev\":\"hot\"", StringComparison.Ordinal)) break;
            }
            var add = sw.Elapsed.TotalMilliseconds;
            await _stream.WriteAsync(Encoding.UTF8.GetBytes("{\"execute\":\"device_del\",\"arguments\":{\"id\":\"hot\"}}\n"));
            var deleted = false;
            var returned = false;
            while (!(deleted && returned))
            {
                var line = await _reader.ReadLineAsync() ?? throw new InvalidOperationException("QMP closed");
                if (line.StartsWith("{\"return\"", StringComparison.Ordinal)) returned = true;
                else if (line.Contains("DEVICE_DELETED", StringComparison.Ordinal) && line.Contains("\"hot\"", StringComparison.Ordinal)) deleted = true;
                else if (line.StartsWith("{\"error\"", StringComparison.Ordinal)) throw new InvalidOperationException(line);
            }
            await CommandAsync("{\"execute\":\"blockdev-del\",\"arguments\":{\"node-name\":\"n-hot\"}}");
            return (add, sw.Elapsed.TotalMilliseconds);
        }

        public void Dispose()
        {
            _reader.Dispose();
            _stream.Dispose();
            _socket.Dispose();
            try { _qemu.Kill(true); } catch (InvalidOperationException) { }
            _qemu.WaitForExit();
            _qemu.Dispose();
        }
    }
}
