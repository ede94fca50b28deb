using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace VirtTest.Core.Session;

/// <summary>
/// A session on a guest over SSH (SSH.NET). Commands run on their own exec channel each, so
/// their output and exit status come apart from any echo or prompt, and several may run at
/// once; the interactive
/// part (<see cref="SendAsync"/>, <see cref="GuestSession.ReadUntilAsync"/>, <see cref="GuestSession.ReadUntilPromptAsync"/>)
/// uses one shell channel with a pseudo-terminal, opened on first use.
/// </summary>
/// <remarks>
/// <para><b>Connecting</b> retries until the deadline while the server is not up yet (refused,
/// reset, timed out, no or a broken SSH banner): a guest may still be booting. A refused login
/// (<see cref="SessionAuthenticationException"/>) or host key (<see cref="SshHostKeyException"/>)
/// is final and thrown at once.</para>
/// <para><b>Command output</b>: the remote shell merges stderr into stdout (<c>exec 2>&amp;1</c>), so
/// the output is interleaved as on a terminal, like a serial session's; anything the server
/// still sends on the stderr stream (e.g. a syntax error reported before the redirection took
/// effect) follows it. The output is cleaned like all session text (no escape sequences, no
/// <c>\r</c>); <see cref="ExecAsync"/> gives the two streams apart and untouched. The exit
/// status is the command's; a command ended by a signal reports 128 + the signal number.
/// For a guest whose login shell is not POSIX, see <see cref="SshConnectionOptions.PosixShell"/>
/// (then the output is stdout followed by stderr).</para>
/// <para><b>Deadlines</b>: a command still running at its deadline is killed with its process
/// group (<c>kill -KILL -pid</c> on a second exec channel; OpenSSH refuses SSH signal
/// requests for root logins, so those alone cannot be relied on, though they are sent too)
/// and its channel is closed; the call throws <see cref="SessionTimeoutException"/> with the output
/// so far, and the session stays usable: its next command starts once the killed one has ended
/// (a few seconds at most). Cancellation does the same and throws
/// <see cref="OperationCanceledException"/>. A lost connection fails running and later calls
/// with <see cref="SessionClosedException"/> as soon as the transport notices (at once when the
/// server side closes the TCP connection; otherwise at the next keep-alive that fails).</para>
/// </remarks>
public sealed class SshSession : GuestSession
{
    /// <summary>Limit for single protocol steps once connected (channel open, SFTP request).</summary>
    internal static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(30);

    private readonly SshClient _client;
    private readonly SshCredentials _credentials;
    private readonly byte[] _hostKey;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<Exception> _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _shellLock = new(1, 1);
    private volatile ShellStream? _shell;
    private readonly object _endingLock = new();
    private Task _ending = Task.CompletedTask;

    private SshSession(SshClient client, SshCredentials credentials, byte[] hostKey, string name)
        : base(name, SessionTransport.Ssh, credentials.Options.ShellPrompt)
    {
        _client = client;
        _credentials = credentials;
        _hostKey = hostKey;
        VmName = credentials.Options.VmName;
        HostKeyFingerprint = SshKnownHosts.Fingerprint(hostKey);
        _client.ErrorOccurred += (_, e) => MarkLost(e.Exception);
        if (Options.KeepAliveInterval > TimeSpan.Zero) _client.KeepAliveInterval = Options.KeepAliveInterval;
        if (!_client.IsConnected) MarkLost(new SshConnectionException("the connection closed right after login"));
    }

    public string Host => Options.Host;
    public int Port => Options.Port;
    public string UserName => Options.UserName;
    /// <summary>The server's host key, e.g. "ssh-ed25519 SHA256:...".</summary>
    public string HostKeyFingerprint { get; }

    /// <summary>
    /// Also send SSH's signal request to a command given up on (default). Tests turn it off to
    /// see the kill by pid or marker work alone, as it must for root logins.
    /// </summary>
    internal bool SignalAbandoned { get; set; } = true;

    /// <summary>Holds the password: internal, for the transfer code's second connection.</summary>
    internal SshConnectionOptions Options => _credentials.Options;

    /// <summary>True while the connection is up (the interactive shell may have ended meanwhile).</summary>
    public override bool IsOpen => !_stop.IsCancellationRequested && !_lost.Task.IsCompleted && _client.IsConnected;

    /// <summary>
    /// Connects and logs in, retrying until <paramref name="timeout"/> while the server is not
    /// up. Checks the host key against <see cref="SshConnectionOptions.KnownHostsPath"/> per
    /// <see cref="SshConnectionOptions.HostKeyPolicy"/>.
    /// </summary>
    /// <exception cref="SessionAuthenticationException">Login refused (not retried).</exception>
    /// <exception cref="SshHostKeyException">Host key refused (not retried).</exception>
    /// <exception cref="SessionTimeoutException">No connection within the timeout; says the last error.</exception>
    public static async Task<SshSession> ConnectAsync(SshConnectionOptions options, TimeSpan timeout, CancellationToken ct = default)
    {
        Validate(options);
        var name = SessionName(options);
        var log = options.Log;
        var credentials = SshCredentials.Load(options, name);
        var knownHosts = options.KnownHostsPath is null ? null : new SshKnownHosts(options.KnownHostsPath);
        var clock = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(200);
        Exception? last = null;
        var attempt = 0;
        try
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                attempt++;
                var left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero) throw NoConnection(name, options, timeout, attempt - 1, last);
                Exception? verdict = null;
                byte[]? acceptedKey = null;
                using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attemptCts.CancelAfter(left);
                try
                {
                    var client = await OpenClientAsync(info => new SshClient(info), credentials, left, e =>
                    {
                        try
                        {
                            verdict = CheckHostKey(name, options, knownHosts, e.HostKey, log);
                        }
                        catch (Exception ex)
                        {
                            verdict = ex; // e.g. the known-hosts lock stayed busy
                        }
                        if (verdict is null) acceptedKey = e.HostKey;
                        return verdict is null;
                    }, attemptCts.Token).ConfigureAwait(false);
                    log?.Invoke($"{name}: connected on attempt {attempt} after {clock.Elapsed.TotalSeconds:0.0} s");
                    return new SshSession(client, credentials, acceptedKey!, name);
                }
                catch (Exception) when (verdict is not null)
                {
                    throw verdict;
                }
                catch (SshAuthenticationException ex)
                {
                    throw credentials.AuthenticationFailed(ex);
                }
                catch (SshConnectionException ex) when (ex.DisconnectReason is Renci.SshNet.Messages.Transport.DisconnectReason.NoMoreAuthenticationMethodsAvailable
                                                        or Renci.SshNet.Messages.Transport.DisconnectReason.IllegalUserName)
                {
                    throw credentials.AuthenticationFailed(ex);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception ex) when (IsTransient(ex) || ex is OperationCanceledException)
                {
                    // An attempt cut short by the deadline says less than the error before it.
                    if (ex is not OperationCanceledException || last is null) last = ex;
                    log?.Invoke($"{name}: attempt {attempt} failed: {credentials.Scrub(ex.Message)}");
                }
                catch (Exception ex) when (ex is not VirtTestException)
                {
                    throw new SessionClosedException(name, $"Could not connect to {name}: {credentials.Scrub(ex.Message)}", ex);
                }
                var wait = timeout - clock.Elapsed;
                if (wait <= TimeSpan.Zero) throw NoConnection(name, options, timeout, attempt, last);
                await Task.Delay(wait < pause ? wait : pause, ct).ConfigureAwait(false);
                pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 1.5, 1000));
            }
        }
        catch
        {
            credentials.Dispose();
            throw;
        }
    }

    private static SessionTimeoutException NoConnection(string name, SshConnectionOptions options, TimeSpan timeout, int attempts, Exception? last)
    {
        var why = last switch
        {
            null => "no attempt finished",
            OperationCanceledException => "the attempt was still in progress at the deadline",
            _ => last.Message,
        };
        var scrubbed = SshCredentials.Scrub(why, options.Password);
        return new SessionTimeoutException(name, $"the SSH server at {options.Host}:{options.Port} to accept a connection ({attempts} attempts; last error: {scrubbed})", timeout, "");
    }

    private static Exception? CheckHostKey(string name, SshConnectionOptions options, SshKnownHosts? knownHosts, byte[] key, Action<string>? log)
    {
        var fingerprint = SshKnownHosts.Fingerprint(key);
        if (knownHosts is null)
        {
            log?.Invoke($"{name}: accepting host key {fingerprint} (no known-hosts file)");
            return null;
        }
        var check = knownHosts.CheckAndRecord(options.Host, options.Port, key, options.HostKeyPolicy == SshHostKeyPolicy.AcceptNew);
        switch (check.Status)
        {
            case SshKnownHostStatus.Known:
                return null;
            case SshKnownHostStatus.Unknown when check.Recorded:
                log?.Invoke($"{name}: recorded new host key {fingerprint} in {knownHosts.Path}");
                return null;
            default:
                var problem = check.Status switch
                {
                    SshKnownHostStatus.Changed => SshHostKeyProblem.Changed,
                    SshKnownHostStatus.Revoked => SshHostKeyProblem.Revoked,
                    _ => SshHostKeyProblem.Unknown,
                };
                log?.Invoke($"{name}: refusing host key {fingerprint} ({problem})");
                return new SshHostKeyException(name, options.Host, options.Port, problem, fingerprint, check.KnownFingerprints, knownHosts.Path);
        }
    }

    /// <summary>Creates and connects a client (SSH or SFTP) with the session's credentials.</summary>
    private static async Task<TClient> OpenClientAsync<TClient>(Func<ConnectionInfo, TClient> create, SshCredentials credentials, TimeSpan connectTimeout,
        Func<HostKeyEventArgs, bool> trust, CancellationToken ct) where TClient : BaseClient
    {
        var info = credentials.CreateConnectionInfo(connectTimeout);
        var client = create(info);
        client.HostKeyReceived += (_, e) => e.CanTrust = trust(e);
        try
        {
            await client.ConnectAsync(ct).ConfigureAwait(false);
            info.Timeout = OperationTimeout;
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>A second connection with the same credentials, for SFTP; the server must show the same host key.</summary>
    internal async Task<SftpClient> OpenSftpAsync(CancellationToken ct)
    {
        ThrowIfUnusable("open SFTP on");
        SshHostKeyException? verdict = null;
        try
        {
            var sftp = await OpenClientAsync(info => new SftpClient(info), _credentials, OperationTimeout, e =>
            {
                if (e.HostKey.AsSpan().SequenceEqual(_hostKey)) return true;
                verdict = new SshHostKeyException(Name, Host, Port, SshHostKeyProblem.Changed, SshKnownHosts.Fingerprint(e.HostKey),
                    new[] { HostKeyFingerprint }, Options.KnownHostsPath);
                return false;
            }, ct).ConfigureAwait(false);
            sftp.OperationTimeout = TimeSpan.FromSeconds(60);
            return sftp;
        }
        catch (Exception) when (verdict is not null)
        {
            throw verdict;
        }
        catch (SshAuthenticationException ex)
        {
            throw _credentials.AuthenticationFailed(ex);
        }
    }

    /// <summary>
    /// Runs a command on its own exec channel and returns its stdout and stderr apart and
    /// untouched, with its exit status. Never throws for a non-zero status. (With a POSIX
    /// shell it is still wrapped, without the stderr merge, so that it can be killed at the
    /// deadline: see <see cref="SshConnectionOptions.PosixShell"/>.)
    /// </summary>
    /// <exception cref="SessionTimeoutException">Still running at the deadline (it is killed; the session stays usable).</exception>
    /// <exception cref="SessionClosedException">The connection is (or got) lost.</exception>
    public Task<SshExecResult> ExecAsync(string command, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        return ExecCoreAsync(command, merge: false, timeout, ct);
    }

    protected override async Task<(int Status, string Output)> RunCommandAsync(string command, TimeSpan timeout, CancellationToken ct)
    {
        var r = await ExecCoreAsync(command, merge: true, timeout, ct).ConfigureAwait(false);
        return (r.ExitStatus, TerminalText.Clean(r.Stdout + r.Stderr));
    }

    /// <summary>The shell reports its pid as the first line on stderr (POSIX shells only).</summary>
    private const string PidPrefix = "printf '%s\\n' \"$$\" >&2; ";

    private async Task<SshExecResult> ExecCoreAsync(string command, bool merge, TimeSpan timeout, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        ThrowIfUnusable($"run '{command}' on");
        var posix = Options.PosixShell;
        // The marker (a no-op word) finds the shell by its command line while the startup
        // files still run, before it can report its pid.
        var marker = "vt-" + Guid.NewGuid().ToString("N")[..16];
        // The closing "exit $?" keeps the shell from exec'ing the last command, so the marker stays
        // visible on the shell's command line for as long as the command runs.
        var wire = !posix ? command : $": {marker}; " + PidPrefix + (merge ? "exec 2>&1; " : "") + command + "\nexit $?";
        var clock = Stopwatch.StartNew();
        await WaitForEndingCommandsAsync($"'{command}' to start", timeout, ct).ConfigureAwait(false);
        SshCommand cmd;
        try
        {
            cmd = _client.CreateCommand(wire);
        }
        catch (Exception ex) when (IsConnectionError(ex))
        {
            throw Lost($"run '{command}' on", ex);
        }
        using var deadline = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token, _stop.Token);
        // ExecuteAsync opens the channel and sends the request synchronously: keep that off the
        // caller's thread ("started" completes then; "run" when the command ends).
        var started = Task.Factory.StartNew(() => cmd.ExecuteAsync(CancellationToken.None), CancellationToken.None,
            TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
        var run = started.Unwrap();
        try
        {
            var first = await Task.WhenAny(run, _lost.Task).WaitAsync(linked.Token).ConfigureAwait(false);
            if (first != run) throw await _lost.Task.ConfigureAwait(false);
            await run.ConfigureAwait(false);
            var stderr = cmd.Error;
            if (posix) (_, stderr) = SplitPid(stderr);
            var result = new SshExecResult(command, Status(cmd), cmd.Result, stderr, cmd.ExitSignal, clock.Elapsed);
            cmd.Dispose();
            return result;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Abandon(cmd, started, run, posix ? marker : null);
            throw new OperationCanceledException($"'{command}' on {Name} was cancelled.", null, ct);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !_stop.IsCancellationRequested)
        {
            var partial = Abandon(cmd, started, run, posix ? marker : null);
            throw new SessionTimeoutException(Name, $"'{command}' to finish", timeout, TerminalText.Clean(partial));
        }
        catch (OperationCanceledException)
        {
            Abandon(cmd, started, run, posix ? marker : null);
            throw new SessionClosedException(Name, $"{Name} was closed while '{command}' ran.");
        }
        catch (Exception ex) when (IsConnectionError(ex))
        {
            Abandon(cmd, started, run, posix ? marker : null);
            throw Lost($"run '{command}' on", ex);
        }
    }

    /// <summary>Splits the pid line the wrapper writes first on stderr from the command's own stderr.</summary>
    private static (int? Pid, string Remainder) SplitPid(string stderr)
    {
        var nl = stderr.IndexOf('\n');
        if (nl > 0 && int.TryParse(stderr.AsSpan(0, nl), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid))
            return (pid, stderr[(nl + 1)..]);
        return (null, stderr);
    }

    private static int Status(SshCommand cmd)
    {
        if (cmd.ExitStatus is int status) return status;
        return cmd.ExitSignal is { } signal ? 128 + SignalNumber(signal) : -1;
    }

    private static int SignalNumber(string name) => name.ToUpperInvariant() switch
    {
        "HUP" => 1, "INT" => 2, "QUIT" => 3, "ILL" => 4, "ABRT" => 6, "FPE" => 8, "KILL" => 9,
        "USR1" => 10, "SEGV" => 11, "USR2" => 12, "PIPE" => 13, "ALRM" => 14, "TERM" => 15,
        _ => 0,
    };

    /// <summary>What a pipe holds now, without blocking (for the output of a command that timed out).</summary>
    private static string Available(Stream? s)
    {
        if (s is null) return "";
        try
        {
            var n = (int)Math.Min(s.Length, 1 << 20);
            if (n <= 0) return "";
            var buf = new byte[n];
            var got = s.Read(buf, 0, n);
            return Encoding.UTF8.GetString(buf, 0, got);
        }
        catch (Exception ex) when (ex is NotSupportedException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            return "";
        }
    }

    /// <summary>
    /// Waits until the commands given up on have ended (see <see cref="Abandon"/>) before a new
    /// channel opens: dropbear before 2024.86 closes a channel that opens while it handles the
    /// exit of another channel's process, so the new command would fail with no exit status or
    /// never be answered. Bounded by the caller's deadline.
    /// </summary>
    private async Task WaitForEndingCommandsAsync(string what, TimeSpan timeout, CancellationToken ct)
    {
        Task ending;
        lock (_endingLock) ending = _ending;
        if (ending.IsCompleted) return;
        try
        {
            await ending.WaitAsync(timeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new SessionTimeoutException(Name, what + " (a command given up on earlier is still being ended)", timeout, "");
        }
    }

    /// <summary>
    /// Gives up on a command: takes what output it produced so far, then, in the background,
    /// kills its process group (found by the pid the wrapper reported, or by its marker while
    /// the shell still reads its startup files), waits for the server to close its channel,
    /// sends it SIGKILL the SSH way if it did not (OpenSSH honours that for non-root logins
    /// only), and closes the channel. The next command waits for this. Returns the output so
    /// far (stdout, then stderr).
    /// </summary>
    private string Abandon(SshCommand cmd, Task<Task> started, Task run, string? marker)
    {
        _ = run.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        var stdout = "";
        var stderr = "";
        int? pid = null;
        if (started.IsCompletedSuccessfully)
        {
            stdout = Available(cmd.OutputStream);
            stderr = Available(cmd.ExtendedOutputStream);
            if (marker is not null) (pid, stderr) = SplitPid(stderr);
        }
        var ending = Task.Run(async () =>
        {
            var killed = false;
            try
            {
                if (marker is not null && await Completes(started, TimeSpan.FromSeconds(5)).ConfigureAwait(false) && !run.IsCompleted && IsOpen)
                {
                    // The pid line may still be on its way.
                    var early = stderr;
                    for (var i = 0; i < 10 && pid is null && !run.IsCompleted; i++)
                    {
                        early += Available(cmd.ExtendedOutputStream);
                        (pid, _) = SplitPid(early);
                        if (pid is null) await Task.Delay(50).ConfigureAwait(false);
                    }
                    if (!run.IsCompleted) await KillRemoteAsync(pid, marker).ConfigureAwait(false);
                    killed = true;
                }
            }
            catch { /* gone already, or the connection is */ }
            // The server closes the channel once the process is gone.
            var closed = killed && IsOpen && await Completes(run, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            try { if (!closed && SignalAbandoned && started.IsCompletedSuccessfully) cmd.CancelAsync(forceKill: true, millisecondsTimeout: 200); } catch { /* the connection is gone */ }
            try { cmd.Dispose(); } catch { /* closing a dead channel */ }
        });
        lock (_endingLock) _ending = _ending.IsCompleted ? ending : Task.WhenAll(_ending, ending);
        return stdout + stderr;
    }

    /// <summary>SIGKILL to a command's process group, on a channel of its own (best effort, bounded).</summary>
    private async Task KillRemoteAsync(int? pid, string marker)
    {
        // "[v]t-..." matches the marker but not this command's own command line.
        var pattern = "[" + marker[0] + "]" + marker[1..];
        // "kill -KILL -pgid" as dash (no "--") and bash/busybox understand it; then the pid alone.
        // Some servers (dropbear) put the command in the group of their own connection process,
        // so killing the group is not enough: the tree is also walked through /proc (children
        // first), and processes carrying the marker are found there when pgrep is missing.
        const string killTree = "vt_kill_tree() { for s in /proc/[0-9]*/stat; do read -r c n st pp rest < \"$s\" 2>/dev/null || continue; " +
            "[ \"$pp\" = \"$1\" ] && vt_kill_tree \"$c\"; done; kill -KILL \"$1\" 2>/dev/null; }; ";
        var script = killTree
            + (pid is int p ? $"vt_kill_tree {p}; kill -KILL -{p} 2>/dev/null || kill -KILL -- -{p} 2>/dev/null; " : "")
            + $"for p in $(pgrep -f '{pattern}' 2>/dev/null; grep -l '{pattern}' /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do vt_kill_tree $p; done; true";
        using var kill = _client.CreateCommand(script);
        await kill.ExecuteAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }

    private static async Task<bool> Completes(Task task, TimeSpan limit)
    {
        try
        {
            await task.WaitAsync(limit).ConfigureAwait(false);
            return true;
        }
        catch
        {
            return false;
        }
    }

    // ---- interactive shell ----

    /// <summary>Opens the interactive shell now (it opens by itself on first use).</summary>
    public Task OpenShellAsync(CancellationToken ct = default) => EnsureShellAsync(ct);

    /// <summary>
    /// A new channel with a pseudo-terminal (echo off) running the login shell, apart from the
    /// session's own interactive shell: for a program that needs a terminal, e.g. <c>xl console</c>
    /// on a Xen host. The caller owns the stream; disposing it closes the channel.
    /// </summary>
    internal async Task<ShellStream> OpenTerminalAsync(CancellationToken ct)
    {
        ThrowIfUnusable("open a terminal on");
        await WaitForEndingCommandsAsync("a terminal to open", OperationTimeout, ct).ConfigureAwait(false);
        var modes = new Dictionary<TerminalModes, uint> { [TerminalModes.ECHO] = 0 };
        var create = Task.Run(() => _client.CreateShellStream("dumb", 200, 50, 0, 0, 65536, modes), CancellationToken.None);
        try
        {
            var first = await Task.WhenAny(create, _lost.Task).WaitAsync(OperationTimeout, ct).ConfigureAwait(false);
            if (first != create) throw await _lost.Task.ConfigureAwait(false);
            return await create.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _ = create.ContinueWith(t =>
            {
                if (t.IsCompletedSuccessfully) t.Result.Dispose();
                else _ = t.Exception;
            }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            if (ex is TimeoutException) throw new SessionTimeoutException(Name, "a terminal channel to open", OperationTimeout, "");
            if (IsConnectionError(ex)) throw Lost("open a terminal on", ex);
            throw;
        }
    }

    /// <summary>Sends raw text to the interactive shell (opened on first use).</summary>
    public override async Task SendAsync(string text, CancellationToken ct = default)
    {
        await EnsureShellAsync(ct).ConfigureAwait(false);
        var shell = _shell!;
        ThrowIfUnusable("write to");
        if (Buffer.IsClosed) throw new SessionClosedException(Name, $"The interactive shell of {Name} has ended.");
        try
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            await shell.WriteAsync(bytes, ct).ConfigureAwait(false);
            await shell.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionError(ex))
        {
            throw Lost("write to", ex);
        }
    }

    /// <summary>The base class's reads call this first: the shell channel opens on first use.</summary>
    protected override Task EnsureInteractiveAsync(CancellationToken ct) => EnsureShellAsync(ct);

    private async Task EnsureShellAsync(CancellationToken ct)
    {
        if (_shell is not null) return;
        await _shellLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_shell is not null) return;
            ThrowIfUnusable("open a shell on");
            await WaitForEndingCommandsAsync("the shell to open", OperationTimeout, ct).ConfigureAwait(false);
            var create = Task.Run(() => _client.CreateShellStream("dumb", 200, 50, 0, 0, 65536));
            ShellStream stream;
            try
            {
                var first = await Task.WhenAny(create, _lost.Task).WaitAsync(ct).ConfigureAwait(false);
                if (first != create) throw await _lost.Task.ConfigureAwait(false);
                stream = await create.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _ = create.ContinueWith(t =>
                {
                    if (t.IsCompletedSuccessfully) t.Result.Dispose();
                    else _ = t.Exception;
                }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                if (IsConnectionError(ex)) throw Lost("open a shell on", ex);
                throw;
            }
            var reader = new Thread(() => ReadShell(stream)) { IsBackground = true, Name = $"{Name} shell reader" };
            reader.Start();
            _shell = stream;
        }
        finally
        {
            _shellLock.Release();
        }
    }

    /// <summary>Feeds the expect buffer; ends when the channel ends (Read returns 0) or fails.</summary>
    private void ReadShell(ShellStream stream)
    {
        var bytes = new byte[16384];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        var decoder = Encoding.UTF8.GetDecoder();
        Exception reason;
        try
        {
            while (true)
            {
                var n = stream.Read(bytes, 0, bytes.Length);
                if (n == 0) break;
                var c = decoder.GetChars(bytes, 0, n, chars, 0);
                Buffer.Append(new string(chars, 0, c));
            }
            reason = new IOException("the shell ended (it exited, or the server closed its channel)");
        }
        catch (Exception ex)
        {
            reason = ex;
        }
        if (_stop.IsCancellationRequested) reason = new ObjectDisposedException(Name, "the session was closed");
        else if (_lost.Task.IsCompleted) reason = _lost.Task.Result;
        Buffer.Close(reason);
    }

    // ---- state ----

    private void MarkLost(Exception ex)
    {
        if (_stop.IsCancellationRequested) return;
        if (_lost.TrySetResult(ex))
        {
            Options.Log?.Invoke($"{Name}: connection lost: {_credentials.Scrub(ex.Message)}");
            Buffer.Close(ex);
        }
    }

    private void ThrowIfUnusable(string what)
    {
        if (_stop.IsCancellationRequested) throw new SessionClosedException(Name, $"Cannot {what} {Name}: the session is closed.");
        if (_lost.Task.IsCompleted) throw Lost(what, _lost.Task.Result);
        if (!_client.IsConnected) throw new SessionClosedException(Name, $"Cannot {what} {Name}: not connected.");
    }

    private SessionClosedException Lost(string what, Exception ex)
    {
        if (_stop.IsCancellationRequested) return new SessionClosedException(Name, $"Cannot {what} {Name}: the session is closed.", ex);
        var cause = _lost.Task.IsCompleted ? _lost.Task.Result : ex;
        if (!_lost.Task.IsCompleted && ex is SshConnectionException or SocketException) MarkLost(ex);
        return new SessionClosedException(Name, $"Cannot {what} {Name}: the connection was lost ({_credentials.Scrub(cause.Message)}).", ex);
    }

    private static bool IsConnectionError(Exception ex) =>
        ex is SshConnectionException or SocketException or ObjectDisposedException or IOException
            || (ex is SshException && ex is not SshAuthenticationException);

    /// <summary>Errors that mean "not up yet" while connecting: worth another attempt.</summary>
    private static bool IsTransient(Exception ex) =>
        ex is SocketException or SshConnectionException or SshOperationTimeoutException or IOException or ProxyException
            || (ex is SshException && ex is not SshAuthenticationException && ex is not SshPassPhraseNullOrEmptyException);

    private static void Validate(SshConnectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Host)) throw new ArgumentException("SshConnectionOptions.Host is empty.", nameof(options));
        if (string.IsNullOrWhiteSpace(options.UserName)) throw new ArgumentException("SshConnectionOptions.UserName is empty.", nameof(options));
        if (options.Port is < 1 or > 65535) throw new ArgumentException($"SshConnectionOptions.Port {options.Port} is not a TCP port.", nameof(options));
        if (options.Password is null && options.PrivateKeyPath is null)
            throw new ArgumentException($"No credentials for {options.Target}: set Password or PrivateKeyPath.", nameof(options));
        if (options.HostKeyPolicy == SshHostKeyPolicy.Strict && options.KnownHostsPath is null)
            throw new ArgumentException("The Strict host key policy needs a KnownHostsPath.", nameof(options));
    }

    private static string SessionName(SshConnectionOptions o) => (o.VmName is null ? "" : o.VmName + " ") + "ssh " + o.Target;

    protected override async ValueTask CloseAsync()
    {
        _stop.Cancel();
        Buffer.Close(new ObjectDisposedException(Name, "the session was closed"));
        var shell = _shell;
        var closing = Task.Run(() =>
        {
            try { shell?.Dispose(); } catch { /* channel already gone */ }
            try { if (_client.IsConnected) _client.Disconnect(); } catch { /* connection already gone */ }
            try { _client.Dispose(); } catch { /* idem */ }
            _credentials.Dispose();
        });
        try
        {
            await closing.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A dead peer can keep Disconnect waiting; the socket goes with the process anyway.
        }
    }
}
