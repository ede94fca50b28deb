using System.Diagnostics;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Session;

/// <summary>
/// A shell over a plain TCP connection: the remote shell agent of Windows guests (rss.exe,
/// port 10022), or any shell behind a TCP socket. What the session sends is typed into the
/// shell; what the shell prints comes back as is. Commands are framed as on a serial console
/// (<see cref="StreamShellSession"/>), with the session's <see cref="ShellDialect"/>.
/// </summary>
/// <remarks>
/// <para>The agent, on each connection, says <c>Please wait...</c>, starts cmd.exe in <c>C:\</c>
/// and relays its output (stdout and stderr); typed input is not echoed back. No login. When
/// the connection closes, the agent kills cmd.exe and everything it started.</para>
/// <para><b>Connecting</b> retries until the deadline: while the port refuses (the agent starts
/// late in a Windows boot), and while a connection closes before the shell's prompt shows.</para>
/// </remarks>
public sealed class RemoteShellSession : StreamShellSession
{
    /// <summary>Longest wait for one TCP connect; the overall deadline still rules.</summary>
    private static readonly TimeSpan AttemptLimit = TimeSpan.FromSeconds(10);
    /// <summary>Quiet this long after connecting: press Enter for a fresh prompt.</summary>
    private static readonly TimeSpan PromptNudge = TimeSpan.FromSeconds(5);

    private RemoteShellSession(Stream stream, string name, RemoteShellOptions options)
        : base(stream, name, SessionTransport.Rss, options.EffectivePrompt, options.Dialect)
    {
        Host = options.Host;
        Port = options.Port;
        VmName = options.VmName;
        FileTransferEndpoint = options.FileTransferEndpoint;
        StartReading();
    }

    public string Host { get; }
    public int Port { get; }

    /// <summary>Where the same agent's file transfer listens, as seen from the host, when the login knew it.</summary>
    public (string Host, int Port)? FileTransferEndpoint { get; }

    /// <inheritdoc />
    protected override string ClosedByPeer => "the remote shell closed the connection";

    /// <summary>
    /// Connects and waits for the shell's prompt, retrying until <paramref name="timeout"/>
    /// while the port refuses or the connection closes before the prompt.
    /// </summary>
    /// <exception cref="SessionTimeoutException">No prompt within the timeout; says the last error and the last output.</exception>
    public static async Task<RemoteShellSession> ConnectAsync(RemoteShellOptions options, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Host)) throw new ArgumentException("RemoteShellOptions.Host is empty.", nameof(options));
        if (options.Port is < 1 or > 65535) throw new ArgumentException($"RemoteShellOptions.Port {options.Port} is not a TCP port.", nameof(options));
        var name = (options.VmName is null ? "" : options.VmName + " ") + $"rss {options.Host}:{options.Port}";
        var clock = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(200);
        string? last = null;
        var attempt = 0;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero) throw NoPrompt(name, options, timeout, attempt, last, "");
            attempt++;
            Stream? stream = null;
            try
            {
                stream = await OpenAsync(options, left < AttemptLimit ? left : AttemptLimit, ct).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                last = ex.Message;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                last ??= "the connection attempt was still in progress at the deadline";
            }
            if (stream is not null)
            {
                var session = new RemoteShellSession(stream, name, options);
                try
                {
                    await session.WaitForFirstPromptAsync(timeout - clock.Elapsed, ct).ConfigureAwait(false);
                    options.Log?.Invoke($"{name}: prompt on attempt {attempt} after {clock.Elapsed.TotalSeconds:0.0} s");
                    return session;
                }
                catch (SessionClosedException ex)
                {
                    last = ex.Message; // the agent closed the connection (not ready yet?): try again
                    await session.DisposeAsync().ConfigureAwait(false);
                }
                catch (SessionTimeoutException ex)
                {
                    await session.DisposeAsync().ConfigureAwait(false);
                    throw NoPrompt(name, options, timeout, attempt, "connected, but no prompt came", ex.Received);
                }
                catch
                {
                    await session.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            }
            options.Log?.Invoke($"{name}: attempt {attempt} failed: {last}");
            var wait = timeout - clock.Elapsed;
            if (wait <= TimeSpan.Zero) throw NoPrompt(name, options, timeout, attempt, last, "");
            await Task.Delay(wait < pause ? wait : pause, ct).ConfigureAwait(false);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 1.5, 1000));
        }
    }

    private static async Task<Stream> OpenAsync(RemoteShellOptions options, TimeSpan limit, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(limit);
            await socket.ConnectAsync(options.Host, options.Port, cts.Token).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Waits for the prompt the shell prints when it starts, pressing Enter when it stays quiet.</summary>
    private async Task WaitForFirstPromptAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = Left(deadline);
            try
            {
                await ReadUntilPromptAsync(left < PromptNudge ? left : PromptNudge, null, ct).ConfigureAwait(false);
                return;
            }
            catch (SessionTimeoutException) when (Left(deadline) > TimeSpan.Zero)
            {
                await SendLineAsync("", ct).ConfigureAwait(false);
            }
        }
    }

    private static SessionTimeoutException NoPrompt(string name, RemoteShellOptions options, TimeSpan timeout, int attempts, string? last, string received) =>
        new(name, $"the remote shell at {options.Host}:{options.Port} to show its prompt ('{options.EffectivePrompt}'; {attempts} attempts; last error: {last ?? "none"})",
            timeout, received);
}
