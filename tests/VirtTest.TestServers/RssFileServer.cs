using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace VirtTest.TestServers;

/// <summary>
/// A file-transfer server that behaves like the Windows guest agent's (rss.exe, port 10023),
/// written from the protocol facts for tests where no Windows guest can run. A host folder
/// plays drive C: (other drives do not exist). Written independently of the client: it does
/// not share its constants or code.
/// </summary>
/// <remarks>
/// The facts it follows:
/// <list type="bullet">
/// <item>msg = 4-byte little-endian unsigned; packet = 4-byte little-endian length + bytes.</item>
/// <item>Server sends MAGIC 0x525353; client sends its chunk size (512..1048576), then
/// UPLOAD (3) or DOWNLOAD (4). A chunk size out of range is an error.</item>
/// <item>File: CREATE_FILE (6), name packet, data packets of exactly the chunk size, a
/// shorter (maybe empty) packet ends it. Folder: CREATE_DIR (7), name, entries, LEAVE_DIR (8).</item>
/// <item>Upload: SET_PATH (5) + path, entries, DONE (9); server answers OK (1). An existing
/// folder takes the entries; any other path is the name of the single file uploaded.</item>
/// <item>Download: SET_PATH + path or wildcard; server sends the entries, then DONE; DONE
/// alone when nothing matches.</item>
/// <item>Paths at most 511 bytes, %variables% expanded (SystemDrive is C:).</item>
/// <item>Any failure: ERROR (2) + message packet, then the connection is closed (with
/// unread data of the client still pending, the client sees a reset).</item>
/// </list>
/// </remarks>
public sealed class RssFileServer : IAsyncDisposable
{
    private const uint Magic = 0x525353, Ok = 1, Error = 2, Upload = 3, Download = 4, SetPath = 5, CreateFile = 6, CreateDir = 7, LeaveDir = 8, Done = 9;
    private const int MaxPath = 511;

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = new();
    private readonly List<Socket> _sockets = new();
    private readonly List<string> _errors = new();
    private Task _accepting = Task.CompletedTask;

    public RssFileServer(string root, int port = 0)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
        _listener = new TcpListener(IPAddress.Loopback, port);
    }

    /// <summary>The host folder that is drive C:.</summary>
    public string Root { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The smallest and largest chunk size accepted (the real server: 512 to 1 MiB).</summary>
    public int MinChunkSize { get; set; } = 512;
    public int MaxChunkSize { get; set; } = 1024 * 1024;

    /// <summary>Fault: after this many file bytes in one connection, reset it (no message), as a crash or a cut cable would.</summary>
    public long? ResetAfterFileBytes { get; set; }

    /// <summary>Called with the host path of each uploaded file once it is closed (tests change it there).</summary>
    public Action<string>? FileStored { get; set; }

    /// <summary>Called with the host path of each file after it was sent (tests change it between two reads).</summary>
    public Action<string>? FileSent { get; set; }

    /// <summary>The ERROR messages sent so far.</summary>
    public IReadOnlyList<string> Errors { get { lock (_errors) return _errors.ToList(); } }

    public int Connections { get; private set; }

    public static RssFileServer Start(string root, int port = 0)
    {
        var server = new RssFileServer(root, port);
        server._listener.Start();
        server._accepting = server.AcceptLoopAsync();
        return server;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            socket.NoDelay = true;
            lock (_connections)
            {
                Connections++;
                _sockets.Add(socket);
                _connections.Add(Task.Run(() => ServeAsync(socket)));
            }
        }
    }

    /// <summary>A failure the server reports with ERROR.</summary>
    private sealed class Refusal(string message) : Exception(message);

    /// <summary>The client went away or broke the framing: nothing to answer.</summary>
    private sealed class Gone() : Exception("client gone");

    private async Task ServeAsync(Socket socket)
    {
        var net = new NetworkStream(socket, ownsSocket: true);
        var conn = new Connection(net, this);
        try
        {
            await conn.WriteMsgAsync(Magic, flush: true);
            var chunk = (int)await conn.ReadMsgAsync();
            if (chunk < MinChunkSize || chunk > MaxChunkSize) throw new Refusal($"Invalid chunk size {chunk}: it must be {MinChunkSize} to {MaxChunkSize} bytes");
            conn.Chunk = chunk;
            var direction = await conn.ReadMsgAsync();
            if (direction == Upload) await ServeUploadAsync(conn);
            else if (direction == Download) await ServeDownloadAsync(conn);
            else throw new Refusal($"Invalid transfer direction {direction}");
        }
        catch (Refusal refusal)
        {
            lock (_errors) _errors.Add(refusal.Message);
            try
            {
                await conn.WriteMsgAsync(Error);
                await conn.WritePacketAsync(Encoding.UTF8.GetBytes(refusal.Message), flush: true);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException) { }
        }
        catch (ResetNow)
        {
            socket.LingerState = new LingerOption(true, 0); // close with RST
        }
        catch (Exception ex) when (ex is Gone or IOException or SocketException or ObjectDisposedException or EndOfStreamException)
        {
            // the client left
        }
        finally
        {
            // Closed without reading what the client still sends: it may see a reset.
            try { socket.Close(); } catch (ObjectDisposedException) { }
            await net.DisposeAsync();
            conn.CloseFile();
        }
    }

    private sealed class ResetNow() : Exception("reset");

    // ---- upload ----

    private async Task ServeUploadAsync(Connection conn)
    {
        var cwd = Root;               // where entries go
        string? singleTarget = null;  // SET_PATH was no folder: the single file's path
        string? guestPath = null;
        var depth = 0;
        var buffer = new byte[conn.Chunk];
        while (true)
        {
            var msg = await conn.ReadMsgAsync();
            switch (msg)
            {
                case SetPath:
                {
                    guestPath = await conn.ReadTextAsync();
                    var resolved = Resolve(guestPath, cwd) ?? throw new Refusal($"Could not open '{guestPath}': the system cannot find the drive specified");
                    if (Directory.Exists(resolved)) { cwd = resolved; singleTarget = null; }
                    else singleTarget = resolved;
                    depth = 0;
                    break;
                }
                case CreateFile:
                {
                    var name = await conn.ReadTextAsync();
                    CheckName(name);
                    string target;
                    if (singleTarget is not null && depth == 0)
                    {
                        target = singleTarget;
                        singleTarget = null;
                        cwd = "\0no folder"; // a second entry has nowhere to go
                    }
                    else
                    {
                        if (cwd.StartsWith('\0')) throw new Refusal($"Could not create '{name}': '{guestPath}' is not a folder");
                        target = Path.Combine(cwd, name);
                    }
                    FileStream file;
                    try
                    {
                        file = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 1);
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        throw new Refusal($"Could not create file '{Guest(target)}' ({(ex is DirectoryNotFoundException ? "The system cannot find the path specified." : ex.Message)})");
                    }
                    conn.OpenFile = file;
                    while (true)
                    {
                        var n = await conn.ReadPacketAsync(buffer);
                        conn.CountFileBytes(n);
                        await file.WriteAsync(buffer.AsMemory(0, n));
                        if (n < conn.Chunk) break;
                    }
                    conn.CloseFile();
                    FileStored?.Invoke(target);
                    break;
                }
                case CreateDir:
                {
                    var name = await conn.ReadTextAsync();
                    CheckName(name);
                    if (singleTarget is not null && depth == 0)
                        throw new Refusal($"Could not create folder '{name}': '{guestPath}' is not a folder");
                    if (cwd.StartsWith('\0')) throw new Refusal($"Could not create folder '{name}': '{guestPath}' is not a folder");
                    var path = ExistingCase(cwd, name) ?? Path.Combine(cwd, name);
                    try
                    {
                        if (File.Exists(path)) throw new IOException("a file of that name exists");
                        Directory.CreateDirectory(path);
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        throw new Refusal($"Could not create folder '{Guest(path)}' ({ex.Message})");
                    }
                    cwd = path;
                    depth++;
                    break;
                }
                case LeaveDir:
                    if (depth == 0) throw new Refusal("LEAVE_DIR outside any folder");
                    cwd = Path.GetDirectoryName(cwd)!;
                    depth--;
                    break;
                case Done:
                    await conn.WriteMsgAsync(Ok, flush: true);
                    return;
                default:
                    throw new Refusal($"Invalid message {msg}");
            }
        }
    }

    // ---- download ----

    private async Task ServeDownloadAsync(Connection conn)
    {
        var msg = await conn.ReadMsgAsync();
        if (msg != SetPath) throw new Refusal($"Invalid message {msg}: SET_PATH expected");
        var guestPath = await conn.ReadTextAsync();
        var resolved = Resolve(guestPath, Root);
        var buffer = new byte[conn.Chunk + 4];
        if (resolved is not null)
        {
            foreach (var entry in Matches(resolved)) await SendEntryAsync(conn, entry, buffer);
        }
        await conn.WriteMsgAsync(Done, flush: true);
    }

    /// <summary>What a path or pattern names: FindFirstFile's matches, in name order.</summary>
    private static IEnumerable<string> Matches(string resolved)
    {
        var name = Path.GetFileName(resolved);
        if (name.IndexOfAny(['*', '?']) < 0)
        {
            if (File.Exists(resolved) || Directory.Exists(resolved)) yield return resolved;
            yield break;
        }
        var parent = Path.GetDirectoryName(resolved)!;
        if (!Directory.Exists(parent)) yield break;
        var regex = new Regex("^" + Regex.Escape(name).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.IgnoreCase);
        foreach (var e in Directory.EnumerateFileSystemEntries(parent).Order(StringComparer.OrdinalIgnoreCase))
        {
            if (regex.IsMatch(Path.GetFileName(e))) yield return e;
        }
    }

    private async Task SendEntryAsync(Connection conn, string path, byte[] buffer)
    {
        var name = Encoding.UTF8.GetBytes(Path.GetFileName(path));
        if (Directory.Exists(path))
        {
            await conn.WriteMsgAsync(CreateDir);
            await conn.WritePacketAsync(name);
            foreach (var child in Directory.EnumerateFileSystemEntries(path).Order(StringComparer.OrdinalIgnoreCase)) await SendEntryAsync(conn, child, buffer);
            await conn.WriteMsgAsync(LeaveDir);
            return;
        }
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new Refusal($"Could not open file '{Guest(path)}' ({ex.Message})");
        }
        await using (file)
        {
            await conn.WriteMsgAsync(CreateFile);
            await conn.WritePacketAsync(name);
            while (true)
            {
                var n = await file.ReadAtLeastAsync(buffer.AsMemory(4, conn.Chunk), conn.Chunk, throwOnEndOfStream: false);
                conn.CountFileBytes(n);
                BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)n);
                await conn.WriteRawAsync(buffer.AsMemory(0, n + 4));
                if (n < conn.Chunk) break;
            }
        }
        FileSent?.Invoke(path);
    }

    // ---- paths ----

    /// <summary>A guest path on the host: drive C: is <see cref="Root"/>; null for another drive.</summary>
    private string? Resolve(string guestPath, string cwd)
    {
        if (Encoding.UTF8.GetByteCount(guestPath) > MaxPath) throw new Refusal($"Path too long: '{guestPath}'");
        var expanded = Regex.Replace(guestPath, "%([^%]+)%", m => m.Groups[1].Value.ToUpperInvariant() switch
        {
            "SYSTEMDRIVE" => "C:",
            "SYSTEMROOT" or "WINDIR" => @"C:\Windows",
            "TEMP" or "TMP" => @"C:\Windows\Temp",
            _ => m.Value,
        });
        var p = expanded.Replace('/', '\\');
        string current;
        if (p.Length >= 2 && p[1] == ':')
        {
            if (char.ToUpperInvariant(p[0]) != 'C') return null;
            current = Root;
            p = p[2..];
        }
        else
        {
            current = p.StartsWith('\\') ? Root : cwd;
        }
        foreach (var part in p.Split('\\', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..")
            {
                if (current != Root) current = Path.GetDirectoryName(current)!;
                continue;
            }
            current = ExistingCase(current, part) ?? Path.Combine(current, part);
        }
        return current;
    }

    /// <summary>The existing entry of <paramref name="dir"/> whose name equals <paramref name="name"/> ignoring case (NTFS lookups do).</summary>
    private static string? ExistingCase(string dir, string name)
    {
        if (name.IndexOfAny(['*', '?']) >= 0 || !Directory.Exists(dir)) return null;
        var exact = Path.Combine(dir, name);
        if (File.Exists(exact) || Directory.Exists(exact)) return exact;
        return Directory.EnumerateFileSystemEntries(dir).FirstOrDefault(e => string.Equals(Path.GetFileName(e), name, StringComparison.OrdinalIgnoreCase));
    }

    private string Guest(string hostPath) => "C:\\" + Path.GetRelativePath(Root, hostPath).Replace('/', '\\').TrimStart('.');

    private static void CheckName(string name)
    {
        if (name.Length == 0 || name is "." or ".." || name.IndexOfAny(['\\', '/', ':', '*', '?', '"', '<', '>', '|', '\0']) >= 0)
            throw new Refusal($"Invalid file name '{name}'");
    }

    // ---- framing ----

    private sealed class Connection(NetworkStream net, RssFileServer server)
    {
        private readonly BufferedStream _in = new(net, 64 * 1024);
        private readonly BufferedStream _out = new(net, 64 * 1024);
        private readonly byte[] _four = new byte[4];
        private long _fileBytes;

        public int Chunk { get; set; }
        public FileStream? OpenFile { get; set; }

        public async Task<uint> ReadMsgAsync()
        {
            await ReadExactlyAsync(_four);
            return BinaryPrimitives.ReadUInt32LittleEndian(_four);
        }

        public async Task<int> ReadPacketAsync(byte[] buffer)
        {
            var length = await ReadMsgAsync();
            if (length > buffer.Length) throw new Refusal($"Packet of {length} bytes is larger than the chunk size {Chunk}");
            await ReadExactlyAsync(buffer.AsMemory(0, (int)length));
            return (int)length;
        }

        public async Task<string> ReadTextAsync()
        {
            var length = await ReadMsgAsync();
            if (length > MaxPath + 1) throw new Refusal($"Name or path of {length} bytes is too long");
            var bytes = new byte[length];
            await ReadExactlyAsync(bytes);
            var n = bytes.Length;
            while (n > 0 && bytes[n - 1] == 0) n--;
            return Encoding.UTF8.GetString(bytes, 0, n);
        }

        private async Task ReadExactlyAsync(Memory<byte> buffer)
        {
            try
            {
                await _in.ReadExactlyAsync(buffer);
            }
            catch (EndOfStreamException)
            {
                throw new Gone();
            }
        }

        public async Task WriteMsgAsync(uint msg, bool flush = false)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_four, msg);
            await _out.WriteAsync(_four);
            if (flush) await _out.FlushAsync();
        }

        public async Task WritePacketAsync(byte[] data, bool flush = false)
        {
            await WriteMsgAsync((uint)data.Length);
            await _out.WriteAsync(data);
            if (flush) await _out.FlushAsync();
        }

        public Task WriteRawAsync(ReadOnlyMemory<byte> data) => _out.WriteAsync(data).AsTask();

        public void CountFileBytes(int n)
        {
            _fileBytes += n;
            if (server.ResetAfterFileBytes is long limit && _fileBytes >= limit)
            {
                try { _out.Flush(); } catch (IOException) { }
                throw new ResetNow();
            }
        }

        public void CloseFile()
        {
            OpenFile?.Dispose();
            OpenFile = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        Task[] running;
        lock (_connections)
        {
            foreach (var s in _sockets) { try { s.Close(); } catch (ObjectDisposedException) { } }
            running = _connections.ToArray();
        }
        try { await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10)); } catch (TimeoutException) { }
        _stop.Dispose();
    }
}
