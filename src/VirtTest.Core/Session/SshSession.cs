using Renci.SshNet;

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
/// is final and thrown at once (<see cref="SshConnector"/>).</para>
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
/// (a few seconds at most; <see cref="SshCommandRunner"/>). Cancellation does the same and throws
/// <see cref="OperationCanceledException"/>. A lost connection fails running and later calls
/// with <see cref="SessionClosedException"/> as soon as the transport notices (at once when the
/// server side closes the TCP connection; otherwise at the next keep-alive that fails).</para>
/// </remarks>
public sealed class SshSession : GuestSession
{
    /// <summary>Limit for single protocol steps once connected (channel open, SFTP request).</summary>
    internal static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(30);

    private readonly SshLogin _login;
    private readonly SshConnectionState _state;
    private readonly SshCommandRunner _commands;
    private readonly SshInteractiveShell _shell;

    private SshSession(SshLogin login)
        : base(login.Name, SessionTransport.Ssh, login.Credentials.Options.ShellPrompt)
    {
        _login = login;
        VmName = Options.VmName;
        HostKeyFingerprint = SshKnownHosts.Fingerprint(login.HostKey);
        _state = new SshConnectionState(Name, login.Client, login.Credentials, Buffer);
        _commands = new SshCommandRunner(Name, login.Client, _state);
        _shell = new SshInteractiveShell(Name, login.Client, _state, _commands, Buffer);
        login.Client.ErrorOccurred += (_, e) => _state.MarkLost(e.Exception);
        if (Options.KeepAliveInterval > TimeSpan.Zero) login.Client.KeepAliveInterval = Options.KeepAliveInterval;
        if (!login.Client.IsConnected) _state.MarkLost(new Renci.SshNet.Common.SshConnectionException("the connection closed right after login"));
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
    internal bool SignalAbandoned
    {
        get => _commands.SignalAbandoned;
        set => _commands.SignalAbandoned = value;
    }

    /// <summary>Holds the password: internal, for the transfer code's second connection.</summary>
    internal SshConnectionOptions Options => _login.Credentials.Options;

    /// <summary>True while the connection is up (the interactive shell may have ended meanwhile).</summary>
    public override bool IsOpen => _state.IsOpen;

    /// <summary>
    /// Connects and logs in, retrying until <paramref name="timeout"/> while the server is not
    /// up. Checks the host key against <see cref="SshConnectionOptions.KnownHostsPath"/> per
    /// <see cref="SshConnectionOptions.HostKeyPolicy"/>.
    /// </summary>
    /// <exception cref="SessionAuthenticationException">Login refused (not retried).</exception>
    /// <exception cref="SshHostKeyException">Host key refused (not retried).</exception>
    /// <exception cref="SessionTimeoutException">No connection within the timeout; says the last error.</exception>
    public static async Task<SshSession> ConnectAsync(SshConnectionOptions options, TimeSpan timeout, CancellationToken ct = default) =>
        new(await SshConnector.ConnectAsync(options, timeout, ct).ConfigureAwait(false));

    /// <summary>A second connection with the same credentials, for SFTP; the server must show the same host key.</summary>
    internal Task<SftpClient> OpenSftpAsync(CancellationToken ct)
    {
        _state.ThrowIfUnusable("open SFTP on");
        return SshConnector.OpenSftpAsync(_login, Options, ct);
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
        return _commands.ExecAsync(command, merge: false, Options.PosixShell, timeout, ct);
    }

    protected override async Task<(int Status, string Output)> RunCommandAsync(string command, TimeSpan timeout, CancellationToken ct)
    {
        var r = await _commands.ExecAsync(command, merge: true, Options.PosixShell, timeout, ct).ConfigureAwait(false);
        return (r.ExitStatus, TerminalText.Clean(r.Stdout + r.Stderr));
    }

    /// <summary>Opens the interactive shell now (it opens by itself on first use).</summary>
    public Task OpenShellAsync(CancellationToken ct = default) => _shell.EnsureOpenAsync(ct);

    /// <summary>
    /// A new channel with a pseudo-terminal (echo off) running the login shell, apart from the
    /// session's own interactive shell: for a program that needs a terminal, e.g. <c>xl console</c>
    /// on a Xen host. The caller owns the stream; disposing it closes the channel.
    /// </summary>
    internal async Task<ShellStream> OpenTerminalAsync(CancellationToken ct)
    {
        _state.ThrowIfUnusable("open a terminal on");
        await _commands.WaitForEndingCommandsAsync("a terminal to open", OperationTimeout, ct).ConfigureAwait(false);
        var modes = new Dictionary<Renci.SshNet.Common.TerminalModes, uint> { [Renci.SshNet.Common.TerminalModes.ECHO] = 0 };
        var create = SshCommandRunner.OffThePool(() => _login.Client.CreateShellStream("dumb", 200, 50, 0, 0, 65536, modes));
        try
        {
            var first = await Task.WhenAny(create, _state.LostTask).WaitAsync(OperationTimeout, ct).ConfigureAwait(false);
            if (first != create) throw await _state.LostTask.ConfigureAwait(false);
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
            if (SshConnectionState.IsConnectionError(ex)) throw _state.Lost("open a terminal on", ex);
            throw;
        }
    }

    /// <summary>Sends raw text to the interactive shell (opened on first use).</summary>
    public override Task SendAsync(string text, CancellationToken ct = default) => _shell.SendAsync(text, ct);

    /// <summary>The base class's reads call this first: the shell channel opens on first use.</summary>
    protected override Task EnsureInteractiveAsync(CancellationToken ct) => _shell.EnsureOpenAsync(ct);

    protected override async ValueTask CloseAsync()
    {
        _state.Stop();
        Buffer.Close(new ObjectDisposedException(Name, "the session was closed"));
        var client = _login.Client;
        var closing = Task.Run(() =>
        {
            _shell.Dispose();
            try { if (client.IsConnected) client.Disconnect(); } catch { /* connection already gone */ }
            try { client.Dispose(); } catch { /* idem */ }
            _login.Credentials.Dispose();
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
