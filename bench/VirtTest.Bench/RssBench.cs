using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using VirtTest.Core.Transfer;
using VirtTest.TestServers;

namespace VirtTest.Bench;

/// <summary>
/// RSS file transfer on loopback: a 100 MiB file and a tree of 1,000 small files, up and down,
/// through <see cref="RssFileTransferClient"/> (checks off: the baseline does none) beside a
/// minimal client that puts the same bytes on the wire and writes the same files, against the
/// same protocol test server. Rounds alternate which client goes first; medians are reported.
/// </summary>
internal static class RssBench
{
    private const int Chunk = RssProtocol.DefaultChunkSize;

    public static async Task<int> RunAsync(int rounds, int bigMiB, int smallFiles)
    {
        var dir = Path.Combine(Path.GetTempPath(), "virttest-bench-rss-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var drive = Path.Combine(dir, "c");
            var host = Path.Combine(dir, "host");
            Directory.CreateDirectory(host);
            var big = Path.Combine(host, "big.bin");
            WriteRandom(big, (long)bigMiB << 20, 1);
            var tree = Path.Combine(host, "tree");
            var treeBytes = WriteTree(tree, smallFiles);
            await using var server = RssFileServer.Start(drive);
            Console.WriteLine($"RSS file transfer on loopback ({rounds} rounds, medians of times and of per-round ratios; chunk {Chunk / 1024} KiB, checks off on both sides)");
            var results = new List<string>();
            var worst = 0.0;

            async Task Case(string label, long bytes, Func<Task> ours, Func<Task> minimal, Action reset)
            {
                var a = new List<double>();
                var b = new List<double>();
                for (var r = 0; r < rounds; r++)
                {
                    // Alternate the order so that neither client always runs on a warmer cache.
                    foreach (var which in r % 2 == 0 ? new[] { 0, 1 } : new[] { 1, 0 })
                    {
                        reset();
                        var sw = Stopwatch.StartNew();
                        await (which == 0 ? ours() : minimal());
                        (which == 0 ? a : b).Add(sw.Elapsed.TotalSeconds);
                    }
                }
                var ma = Median(a);
                var mb = Median(b);
                // The median of each round's ratio: the two runs of a round are back to back, so
                // a busy spell of the (shared) machine hits both rather than one median.
                var ratio = Median(a.Zip(b, (x, y) => x / y).ToList());
                worst = Math.Max(worst, ratio);
                var mib = bytes / 1048576.0;
                Console.WriteLine($"  {label,-28} VirtTest {ma * 1000,8:F0} ms {mib / ma,7:F0} MiB/s | minimal {mb * 1000,8:F0} ms {mib / mb,7:F0} MiB/s | ratio {ratio:F3}");
            }

            var client = new RssFileTransferClient("127.0.0.1", server.Port) { VerifyChecksums = false, ChunkSize = Chunk };
            var port = server.Port;
            await Case($"upload {bigMiB} MiB file", (long)bigMiB << 20,
                () => client.UploadAsync(big, @"C:\"),
                () => MinimalUploadAsync(port, host, new[] { "big.bin" }, @"C:\"),
                () => DeleteIfThere(Path.Combine(drive, "big.bin")));
            await Case($"download {bigMiB} MiB file", (long)bigMiB << 20,
                () => client.DownloadAsync(@"C:\big.bin", Path.Combine(host, "big-down.bin")),
                () => MinimalDownloadAsync(port, @"C:\big.bin", Path.Combine(host, "big-down.bin"), single: true),
                () => DeleteIfThere(Path.Combine(host, "big-down.bin")));
            await Case($"upload tree of {smallFiles} files", treeBytes,
                () => client.UploadAsync(tree, @"C:\", recurse: true),
                () => MinimalUploadAsync(port, host, new[] { "tree" }, @"C:\"),
                () => DeleteIfThere(Path.Combine(drive, "tree")));
            await Case($"download tree of {smallFiles} files", treeBytes,
                () => client.DownloadAsync(@"C:\tree", Path.Combine(host, "tree-down"), recurse: true),
                () => MinimalDownloadAsync(port, @"C:\tree", Path.Combine(host, "tree-down"), single: true),
                () => DeleteIfThere(Path.Combine(host, "tree-down")));

            // With checks (a second transfer each), for information.
            var checkedClient = new RssFileTransferClient("127.0.0.1", port) { ChunkSize = Chunk };
            DeleteIfThere(Path.Combine(host, "big-down.bin"));
            var swc = Stopwatch.StartNew();
            await checkedClient.DownloadAsync(@"C:\big.bin", Path.Combine(host, "big-down.bin"));
            Console.WriteLine($"  (download {bigMiB} MiB with checks: {swc.Elapsed.TotalMilliseconds:F0} ms, {bigMiB / swc.Elapsed.TotalSeconds:F0} MiB/s)");
            Console.WriteLine($"  worst ratio VirtTest/minimal = {worst:F3} (target <= 1.05)");
            return 0;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    private static void DeleteIfThere(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else if (File.Exists(path)) File.Delete(path);
    }

    private static void WriteRandom(string path, long length, int seed)
    {
        var rng = new Random(seed);
        var buffer = new byte[1 << 20];
        using var f = File.Create(path);
        for (long done = 0; done < length; done += buffer.Length)
        {
            rng.NextBytes(buffer);
            f.Write(buffer, 0, (int)Math.Min(buffer.Length, length - done));
        }
    }

    /// <summary>Files of 100 B to 8 KiB in 20 folders (two levels); returns the bytes.</summary>
    private static long WriteTree(string root, int files)
    {
        var rng = new Random(7);
        long total = 0;
        for (var i = 0; i < files; i++)
        {
            var folder = Path.Combine(root, $"d{i % 10}", $"e{i % 20 / 10}");
            Directory.CreateDirectory(folder);
            var bytes = new byte[rng.Next(100, 8192)];
            rng.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(folder, $"f{i:D4}.bin"), bytes);
            total += bytes.Length;
        }
        return total;
    }

    // ---- the minimal client: the protocol, nothing else ----

    private static async Task<(Socket, NetworkStream, BufferedStream)> OpenAsync(int port, uint direction)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", port);
        var net = new NetworkStream(socket, ownsSocket: true);
        var input = new BufferedStream(net, 65536);
        var four = new byte[4];
        await input.ReadExactlyAsync(four); // MAGIC
        var hello = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(hello, Chunk);
        BinaryPrimitives.WriteUInt32LittleEndian(hello.AsSpan(4), direction);
        await net.WriteAsync(hello);
        return (socket, net, input);
    }

    private static void Msg(BufferedStream o, uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        o.Write(b);
    }

    private static void Text(BufferedStream o, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        Msg(o, (uint)bytes.Length);
        o.Write(bytes);
    }

    private static async Task MinimalUploadAsync(int port, string localDir, string[] names, string remote)
    {
        var (socket, net, input) = await OpenAsync(port, RssProtocol.Upload);
        var output = new BufferedStream(net, 65536);
        var buffer = new byte[Chunk + 4];
        Msg(output, RssProtocol.SetPath);
        Text(output, remote);
        foreach (var name in names) await SendAsync(Path.Combine(localDir, name));
        Msg(output, RssProtocol.Done);
        await output.FlushAsync();
        var four = new byte[4];
        await input.ReadExactlyAsync(four);
        if (BinaryPrimitives.ReadUInt32LittleEndian(four) != RssProtocol.Ok) throw new InvalidOperationException("upload refused");
        socket.Dispose();

        async Task SendAsync(string path)
        {
            if (Directory.Exists(path))
            {
                Msg(output, RssProtocol.CreateDir);
                Text(output, Path.GetFileName(path));
                foreach (var e in Directory.EnumerateFileSystemEntries(path).Order(StringComparer.Ordinal)) await SendAsync(e);
                Msg(output, RssProtocol.LeaveDir);
                return;
            }
            Msg(output, RssProtocol.CreateFile);
            Text(output, Path.GetFileName(path));
            await using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            while (true)
            {
                var n = await f.ReadAtLeastAsync(buffer.AsMemory(4, Chunk), Chunk, throwOnEndOfStream: false);
                BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)n);
                await output.WriteAsync(buffer.AsMemory(0, n + 4));
                if (n < Chunk) break;
            }
        }
    }

    private static async Task MinimalDownloadAsync(int port, string remote, string local, bool single)
    {
        var (socket, net, input) = await OpenAsync(port, RssProtocol.Download);
        var output = new BufferedStream(net, 65536);
        Msg(output, RssProtocol.SetPath);
        Text(output, remote);
        await output.FlushAsync();
        var four = new byte[4];
        var buffer = new byte[Chunk];
        var current = Path.GetDirectoryName(local)!;
        var top = true;
        async Task<uint> ReadU()
        {
            await input.ReadExactlyAsync(four);
            return BinaryPrimitives.ReadUInt32LittleEndian(four);
        }
        async Task<string> ReadName()
        {
            var n = (int)await ReadU();
            var bytes = new byte[n];
            await input.ReadExactlyAsync(bytes);
            return Encoding.UTF8.GetString(bytes);
        }
        while (true)
        {
            var msg = await ReadU();
            if (msg == RssProtocol.Done) break;
            if (msg == RssProtocol.CreateDir)
            {
                var name = await ReadName();
                current = single && top ? local : Path.Combine(current, name);
                top = false;
                Directory.CreateDirectory(current);
            }
            else if (msg == RssProtocol.LeaveDir)
            {
                current = Path.GetDirectoryName(current)!;
            }
            else if (msg == RssProtocol.CreateFile)
            {
                var name = await ReadName();
                var path = single && top ? local : Path.Combine(current, name);
                top = false;
                await using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1);
                while (true)
                {
                    var n = (int)await ReadU();
                    await input.ReadExactlyAsync(buffer.AsMemory(0, n));
                    await f.WriteAsync(buffer.AsMemory(0, n));
                    if (n < Chunk) break;
                }
            }
            else throw new InvalidOperationException("unexpected " + msg);
        }
        socket.Dispose();
    }
}
