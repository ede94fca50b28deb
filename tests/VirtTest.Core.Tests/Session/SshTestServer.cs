using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using VirtTest.Core.Resources;
using VirtTest.Core.Session;

namespace VirtTest.Core.Tests.Session;

/// <summary>
/// A real OpenSSH server on 127.0.0.1 for one test class (or one test): its own temp folder
/// with config, host key, client key and authorized_keys; killed and removed on dispose,
/// pass or fail. Needs root: it starts sshd and creates the test user.
/// </summary>
/// <remarks>
/// Tests log in as <see cref="TestUser"/> (login shell /bin/sh), with the generated key or a
/// password, not as root: root's shell reads the host's ~/.bashrc, whatever that does on the
/// machine running the tests (here: pyenv's rehash, slow, and stuck for a minute when a killed
/// command left its lock behind). Root is used only for a login that must fail.
/// </remarks>
internal sealed class SshTestServer : IAsyncDisposable
{
    public const string SshdPath = "/usr/sbin/sshd";
    public const string SftpServerPath = "/usr/lib/openssh/sftp-server";
    public const string TestUser = "vtsshtest";

    private static readonly object UserGate = new();
    private static string? _testUserPassword;

    private readonly StringBuilder _log = new();
    private readonly PortReservation _port;
    private Process? _sshd;

    private SshTestServer(string dir, PortReservation port)
    {
        Dir = dir;
        _port = port;
    }

    public string Dir { get; }
    public int Port => _port.Port;
    public string ClientKeyPath => Path.Combine(Dir, "client_ed25519");
    public string HostKeyPath => Path.Combine(Dir, "host_ed25519");
    public string ConfigPath => Path.Combine(Dir, "sshd_config");
    public string KnownHostsPath => Path.Combine(Dir, "known_hosts");
    public int? ListenerPid => _sshd is { HasExited: false } p ? p.Id : null;
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>The host key's public line ("ssh-ed25519 AAAA... comment").</summary>
    public string HostPublicKey => File.ReadAllText(HostKeyPath + ".pub").Trim();

    /// <summary>Fails (with the install command) when OpenSSH's server is missing.</summary>
    public static void RequireOpenSsh()
    {
        if (!File.Exists(SshdPath) || !File.Exists(SftpServerPath))
            throw new InvalidOperationException(
                $"The SSH tests need a real OpenSSH server, and {(File.Exists(SshdPath) ? SftpServerPath : SshdPath)} is missing. " +
                "Install it with: apt-get install openssh-server openssh-sftp-server");
        if (Environment.UserName != "root" && Environment.GetEnvironmentVariable("USER") != "root" && !IsRoot())
            throw new InvalidOperationException("The SSH tests start sshd and log in as root: run them as root.");
    }

    private static bool IsRoot()
    {
        try { return File.ReadAllLines("/proc/self/status").Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == "0"); }
        catch (IOException) { return false; }
    }

    /// <summary>Prepares a server (keys, config) without starting it.</summary>
    public static SshTestServer Create()
    {
        RequireOpenSsh();
        EnsureTestUser();
        var dir = Directory.CreateTempSubdirectory("virttest-sshd-").FullName;
        // sshd reads authorized_keys as the user logging in.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var port = new PortAllocator(Path.Combine(Path.GetTempPath(), "virttest", "test-pools")).Reserve();
        var server = new SshTestServer(dir, port);
        try
        {
            server.NewHostKey();
            Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "virttest-client", "-f", server.ClientKeyPath);
            File.Copy(server.ClientKeyPath + ".pub", Path.Combine(dir, "authorized_keys"));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(dir, "authorized_keys"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.WriteAllText(server.ConfigPath, string.Join('\n',
                "ListenAddress 127.0.0.1",
                $"HostKey {server.HostKeyPath}",
                $"PidFile {Path.Combine(dir, "sshd.pid")}",
                $"AuthorizedKeysFile {Path.Combine(dir, "authorized_keys")}",
                $"Subsystem sftp {SftpServerPath}",
                "UsePAM no",
                "StrictModes no",
                "PermitRootLogin yes",
                "PubkeyAuthentication yes",
                "PasswordAuthentication yes",
                "KbdInteractiveAuthentication no",
                "PrintMotd no",
                "PrintLastLog no",
                "UseDNS no",
                "MaxStartups 100",
                "MaxSessions 50",
                "LogLevel VERBOSE",
                ""));
            return server;
        }
        catch
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    public static async Task<SshTestServer> StartNewAsync()
    {
        var s = Create();
        try
        {
            await s.StartAsync();
            return s;
        }
        catch
        {
            await s.DisposeAsync();
            throw;
        }
    }

    /// <summary>A fresh host key (the server must be restarted to use it).</summary>
    public void NewHostKey()
    {
        File.Delete(HostKeyPath);
        File.Delete(HostKeyPath + ".pub");
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "virttest-host", "-f", HostKeyPath);
    }

    public async Task StartAsync()
    {
        if (_sshd is { HasExited: false }) throw new InvalidOperationException("sshd already runs");
        Directory.CreateDirectory("/run/sshd"); // privilege separation directory
        var psi = new ProcessStartInfo(SshdPath) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-D", "-e", "-f", ConfigPath, "-p", Port.ToString(CultureInfo.InvariantCulture) }) psi.ArgumentList.Add(a);
        var p = new Process { StartInfo = psi };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        p.Start();
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        _sshd = p;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (p.HasExited) throw new InvalidOperationException($"sshd exited with {p.ExitCode} at start:\n{Log}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(20);
            }
        }
    }

    /// <summary>Kills sshd and every process it started (its connections, their shells).</summary>
    public async Task StopAsync()
    {
        var p = _sshd;
        if (p is null) return;
        _sshd = null;
        KillConnections();
        try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        p.Dispose();
    }

    /// <summary>SIGKILLs the sshd processes serving connections (and their commands); the listener stays.</summary>
    public int KillConnections()
    {
        if (ListenerPid is not int root) return 0;
        var killed = 0;
        foreach (var pid in Descendants(root))
        {
            try
            {
                using var child = Process.GetProcessById(pid);
                child.Kill();
                killed++;
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
        }
        return killed;
    }

    private static List<int> Descendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ppid = int.Parse(rest[1], CultureInfo.InvariantCulture);
                if (!children.TryGetValue(ppid, out var list)) children[ppid] = list = new List<int>();
                list.Add(pid);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException) { }
        }
        var result = new List<int>();
        var queue = new Queue<int>();
        queue.Enqueue(root);
        while (queue.Count > 0)
        {
            if (!children.TryGetValue(queue.Dequeue(), out var kids)) continue;
            foreach (var k in kids)
            {
                result.Add(k);
                queue.Enqueue(k);
            }
        }
        return result;
    }

    /// <summary>Key login as <see cref="TestUser"/>, with this server's known-hosts file.</summary>
    public SshConnectionOptions KeyOptions(string? knownHosts = null, SshHostKeyPolicy policy = SshHostKeyPolicy.AcceptNew, bool posixShell = true,
        Action<string>? log = null) => new()
    {
        Host = "127.0.0.1",
        Port = Port,
        UserName = TestUser,
        PrivateKeyPath = ClientKeyPath,
        KnownHostsPath = knownHosts ?? KnownHostsPath,
        HostKeyPolicy = policy,
        PosixShell = posixShell,
        VmName = "sshtest",
        Log = log,
    };

    /// <summary>A user whose login shell (bash) reads a ~/.bashrc that sleeps 2 s: slow startup files.</summary>
    public const string SlowUser = "vtsshslow";
    private static bool _slowUser;

    /// <summary>Creates <see cref="SlowUser"/> once per test run.</summary>
    public static void EnsureSlowUser()
    {
        lock (UserGate)
        {
            if (_slowUser) return;
            if (!RunOk("id", "-u", SlowUser)) Run("useradd", "--create-home", "--shell", "/bin/bash", SlowUser);
            else Run("usermod", "--shell", "/bin/bash", SlowUser);
            var home = Run("sh", "-c", $"getent passwd {SlowUser} | cut -d: -f6").Trim();
            File.WriteAllText(Path.Combine(home, ".bashrc"), "sleep 2\n");
            // sshd (without PAM) refuses a locked account even for key logins: give it a password.
            RunWithInput("chpasswd", $"{SlowUser}:Vt-{Convert.ToHexString(RandomNumberGenerator.GetBytes(12))}\n");
            _slowUser = true;
        }
    }

    /// <summary>The password of <see cref="TestUser"/> (created, or its password reset, once per test run).</summary>
    public static string TestUserPassword() => EnsureTestUser();

    /// <summary>Creates <see cref="TestUser"/> (shell /bin/sh) once per test run, with a fresh random password.</summary>
    private static string EnsureTestUser()
    {
        lock (UserGate)
        {
            if (_testUserPassword is not null) return _testUserPassword;
            if (!RunOk("id", "-u", TestUser)) Run("useradd", "--create-home", "--shell", "/bin/sh", TestUser);
            else Run("usermod", "--shell", "/bin/sh", TestUser);
            var password = "Vt-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
            RunWithInput("chpasswd", $"{TestUser}:{password}\n");
            return _testUserPassword = password;
        }
    }

    private static bool RunOk(string file, params string[] args)
    {
        try { Run(file, args); return true; }
        catch (InvalidOperationException) { return false; }
    }

    public static string Run(string file, params string[] args) => RunWithInput(file, null, args);

    public static string RunWithInput(string file, string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var outTask = p.StandardOutput.ReadToEndAsync();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {err}");
        return outTask.Result;
    }

    public async ValueTask DisposeAsync()
    {
        try { await StopAsync(); }
        finally
        {
            _port.Dispose();
            try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

/// <summary>One sshd shared by a test class, and a session on it that tests may share.</summary>
public sealed class SshServerFixture : IAsyncLifetime
{
    private SshTestServer? _server;
    private Task<SshSession>? _shared;

    internal SshTestServer Server => _server ?? throw new InvalidOperationException("sshd did not start");

    /// <summary>A session (key login as the test user) for tests that leave it as they found it.</summary>
    public Task<SshSession> SharedSessionAsync()
    {
        lock (this) return _shared ??= SshSession.ConnectAsync(Server.KeyOptions(), TimeSpan.FromSeconds(20));
    }

    public async Task InitializeAsync() => _server = await SshTestServer.StartNewAsync();

    public async Task DisposeAsync()
    {
        try
        {
            if (_shared is { IsCompletedSuccessfully: true }) await _shared.Result.DisposeAsync();
        }
        finally
        {
            if (_server is not null) await _server.DisposeAsync();
        }
    }
}
