using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace VirtTest.TestServers;

/// <summary>
/// The Windows guest agent's shell port (rss.exe, 10022) in front of a real cmd.exe: Wine's.
/// Per connection it says <c>Please wait...</c>, starts <c>wine cmd.exe</c> in drive C: of a
/// private Wine prefix, relays what cmd prints (stdout and stderr) and types what the client
/// sends, and kills cmd and everything it started when the client goes away.
/// </summary>
/// <remarks>
/// <para>Typed input is not echoed back (as with the agent), unless <see cref="EchoInput"/>
/// asks for it (as a console that echoes would), to show that an echo is never taken for a
/// result.</para>
/// <para>Ctrl+C (byte 3) reaches the running program as on a Windows console: the relay sends
/// SIGINT to the processes cmd started (Wine turns it into the console's Ctrl+C event); cmd
/// itself keeps running, as it does on Windows while a program runs.</para>
/// <para>Wine 8's cmd.exe reading from a pipe takes one line per read and drops the rest of
/// what the read returned: a client must send a line only once cmd waits for it (the session
/// does: one framed line per command).</para>
/// <para>Needs Debian's <c>wine</c> and <c>wine64</c>. The prefix lives in a temporary folder
/// (about 4 s to create); its wineserver is killed and the folder removed on dispose.</para>
/// </remarks>
public sealed class WineCmdRelay : IAsyncDisposable
{
    public const string WinePath = "/usr/bin/wine";
    private const int SigInt = 2, SigKill = 9;

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Session> _sessions = new();
    private Task _accepting = Task.CompletedTask;

    private WineCmdRelay(string dir, int port)
    {
        Dir = dir;
        _listener = new TcpListener(IPAddress.Loopback, port);
    }

    /// <summary>The temporary folder (the prefix is its "prefix" subfolder).</summary>
    public string Dir { get; }
    public string Prefix => Path.Combine(Dir, "prefix");
    /// <summary>Drive C: of the prefix, where cmd starts (as the agent starts it in C:\).</summary>
    public string DriveC => Path.Combine(Prefix, "drive_c");
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    /// <summary>Echo what the client types, as a console would.</summary>
    public bool EchoInput { get; set; }
    /// <summary>Sessions accepted so far.</summary>
    public int Accepted { get; private set; }

    /// <summary>Fails with the install command when Wine is missing.</summary>
    public static void RequireWine()
    {
        if (!File.Exists(WinePath))
            throw new InvalidOperationException($"The cmd.exe tests need Wine and {WinePath} is missing. Install it with: apt-get install wine wine64 (build.ps1 -Task Test does).");
    }

    /// <summary>
    /// Creates the prefix (about 10 s) with a wineserver that stays until dispose (each cmd.exe
    /// then starts in about half a second). <see cref="Listen"/> opens <paramref name="port"/>
    /// (0: any free port).
    /// </summary>
    public static async Task<WineCmdRelay> CreateAsync(int port = 0)
    {
        RequireWine();
        var dir = Directory.CreateTempSubdirectory("virttest-wine-").FullName;
        var relay = new WineCmdRelay(dir, port);
        try
        {
            Directory.CreateDirectory(relay.Prefix);
            await relay.RunWineAsync(TimeSpan.FromSeconds(30), "wineserver", "-p");
            await relay.RunWineAsync(TimeSpan.FromSeconds(180), "wine", "cmd.exe", "/c", "exit");
            if (!Directory.Exists(relay.DriveC)) throw new InvalidOperationException($"Wine created no prefix in {relay.Prefix}.");
            return relay;
        }
        catch
        {
            await relay.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts accepting clients (tests may call it late, to show a client waiting for the agent).</summary>
    public void Listen()
    {
        _listener.Start();
        _accepting = AcceptLoopAsync();
    }

    /// <summary>A port free now (for a relay created to listen late).</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private ProcessStartInfo WineStart(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, WorkingDirectory = Directory.Exists(DriveC) ? DriveC : Dir };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["WINEPREFIX"] = Prefix;
        psi.Environment["WINEDEBUG"] = "-all";
        psi.Environment["WINEDLLOVERRIDES"] = "mscoree,mshtml="; // no Mono/Gecko installer on prefix creation
        psi.Environment.Remove("DISPLAY");
        return psi;
    }

    /// <summary>
    /// Runs a Wine tool to its end. Its output is not captured: wineserver leaves a daemon
    /// behind that would hold captured pipes open (and a read to their end would never end).
    /// </summary>
    private async Task RunWineAsync(TimeSpan limit, string file, params string[] args)
    {
        using var p = Process.Start(WineStart(file, args))!;
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{file} {string.Join(' ', args)}' did not finish within {limit.TotalSeconds} s.");
        }
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
            var session = new Session(this, socket);
            lock (_sessions)
            {
                Accepted++;
                _sessions.Add(session);
            }
            session.Start();
        }
    }

    /// <summary>Programs cmd started (not cmd itself) that still run, over all sessions: e.g. "ping -n 60 127.0.0.1".</summary>
    public IReadOnlyList<string> RunningPrograms()
    {
        lock (_sessions) return _sessions.SelectMany(s => s.Programs().Select(p => p.CommandLine)).ToList();
    }

    /// <summary>One client: its cmd.exe (in a process group of its own) and the two relays.</summary>
    private sealed class Session(WineCmdRelay relay, Socket socket)
    {
        private Process? _process;
        private int _closed;

        public void Start() => _ = Task.Run(RunAsync);

        private async Task RunAsync()
        {
            var net = new NetworkStream(socket, ownsSocket: true);
            try
            {
                await net.WriteAsync(Encoding.ASCII.GetBytes("Please wait...\r\n"));
                // setsid: cmd and what it starts get a process group of their own, to signal and to kill.
                // One pipe for stdout and stderr, as the agent gives cmd: an error message then
                // comes in the order cmd wrote it, never after the next line (two pipes race).
                // A fixed command line, no parameter in it.
                var psi = relay.WineStart("/bin/sh", "-c", "exec setsid wine cmd.exe 2>&1");
                psi.RedirectStandardInput = true;
                psi.RedirectStandardOutput = true;
                _process = Process.Start(psi)!;
                var writeLock = new SemaphoreSlim(1, 1);
                var output = PumpAsync(_process.StandardOutput.BaseStream, net, writeLock);
                var input = InputAsync(net, _process.StandardInput.BaseStream, writeLock);
                // Whichever ends first (the client left, or cmd exited) ends the session.
                await Task.WhenAny(input, output);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
            {
                // client gone
            }
            finally
            {
                Close();
                await net.DisposeAsync();
            }
        }

        private static async Task PumpAsync(Stream from, NetworkStream to, SemaphoreSlim writeLock)
        {
            var buffer = new byte[16384];
            try
            {
                while (true)
                {
                    var n = await from.ReadAsync(buffer);
                    if (n == 0) return;
                    await writeLock.WaitAsync();
                    try { await to.WriteAsync(buffer.AsMemory(0, n)); }
                    finally { writeLock.Release(); }
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException) { }
        }

        private async Task InputAsync(NetworkStream from, Stream stdin, SemaphoreSlim writeLock)
        {
            var buffer = new byte[4096];
            try
            {
                while (true)
                {
                    var n = await from.ReadAsync(buffer);
                    if (n == 0) return;
                    var start = 0;
                    for (var i = 0; i <= n; i++)
                    {
                        if (i < n && buffer[i] != 3) continue;
                        if (i > start)
                        {
                            // A console echoes what is typed before the program reads it: echoing
                            // after the write would race cmd's own output (and could land inside it).
                            if (relay.EchoInput)
                            {
                                await writeLock.WaitAsync();
                                try { await from.WriteAsync(buffer.AsMemory(start, i - start)); }
                                finally { writeLock.Release(); }
                            }
                            await stdin.WriteAsync(buffer.AsMemory(start, i - start));
                            await stdin.FlushAsync();
                        }
                        if (i < n) Interrupt();
                        start = i + 1;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException) { }
        }

        /// <summary>Ctrl+C: SIGINT to the programs cmd runs, not to cmd (nor the launcher waiting for it).</summary>
        private void Interrupt()
        {
            foreach (var (pid, _) in Programs()) _ = kill(pid, SigInt);
        }

        /// <summary>The session's processes other than the launcher and cmd.exe itself.</summary>
        public List<(int Pid, string CommandLine)> Programs()
        {
            var list = new List<(int, string)>();
            if (_process is not { } p || _closed != 0) return list;
            foreach (var (pid, cmdline) in Group(p.Id))
            {
                if (pid == p.Id || cmdline.StartsWith(@"C:\windows\system32\cmd.exe", StringComparison.OrdinalIgnoreCase)) continue;
                list.Add((pid, cmdline));
            }
            return list;
        }

        /// <summary>Processes of a process group, from /proc.</summary>
        private static IEnumerable<(int Pid, string CommandLine)> Group(int pgid)
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
                string stat, cmdline;
                try
                {
                    stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { continue; }
                // "pid (comm) state ppid pgrp ...": comm may hold spaces, so count after the last ')'.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields.Length > 2 && int.TryParse(fields[2], out var group) && group == pgid && fields[0] != "Z") yield return (pid, cmdline);
            }
        }

        /// <summary>As the agent does on disconnect: cmd and everything it started are killed.</summary>
        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0) return;
            if (_process is { } p)
            {
                _ = kill(-p.Id, SigKill);
                try { p.WaitForExit(5000); } catch (InvalidOperationException) { }
                p.Dispose();
            }
            try { socket.Close(); } catch (ObjectDisposedException) { }
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { _listener.Stop(); } catch (SocketException) { }
        await _accepting;
        lock (_sessions)
        {
            foreach (var s in _sessions) s.Close();
        }
        try { await RunWineAsync(TimeSpan.FromSeconds(30), "wineserver", "-k"); } catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
        for (var i = 0; i < 20 && Directory.Exists(Dir); i++)
        {
            try { Directory.Delete(Dir, recursive: true); }
            catch (IOException) { await Task.Delay(250); }
            catch (UnauthorizedAccessException) { await Task.Delay(250); }
        }
        _stop.Dispose();
    }
}
