using System.Diagnostics;
using System.Net.Sockets;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace VirtTest.Core.Session;

/// <summary>A connected, logged-in SSH client and what the session keeps of its login.</summary>
internal sealed record SshLogin(SshClient Client, SshCredentials Credentials, byte[] HostKey, string Name);

/// <summary>
/// Opens the connections of an <see cref="SshSession"/>: the first one, retried until the
/// deadline while the server is not up yet, with the host key checked against the known-hosts
/// file; and later ones (SFTP) with the same login, which must show the same host key.
/// </summary>
/// <remarks>
/// Retried: refused, reset, timed out, no or a broken SSH banner (a guest may still be
/// booting). Final at once: a refused login (<see cref="SessionAuthenticationException"/>) or
/// host key (<see cref="SshHostKeyException"/>).
/// </remarks>
internal static class SshConnector
{
    public static async Task<SshLogin> ConnectAsync(SshConnectionOptions options, TimeSpan timeout, CancellationToken ct)
    {
        Validate(options);
        var name = SessionName(options);
        var log = options.Log;
        var credentials = SshCredentials.Load(options, name);
        var knownHosts = options.KnownHostsPath is null ? null : new SshKnownHosts(options.KnownHostsPath);
        var clock = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(200);
        Exception? last = null; // the last error an attempt found by itself
        var lastCutShort = false; // the last attempt was still in progress at the deadline
        var attempt = 0;
        try
        {
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                attempt++;
                var left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero) throw NoConnection(name, options, timeout, attempt - 1, last, lastCutShort);
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
                    return new SshLogin(client, credentials, acceptedKey!, name);
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
                    // An attempt cut short by the deadline must not hide the error before it. It
                    // ends in one of three ways: our cancellation, the socket's "operation canceled",
                    // or SSH.NET's own connect timeout (whose limit is the time left too).
                    lastCutShort = ex is OperationCanceledException
                        || (ex is SshOperationTimeoutException or SocketException { SocketErrorCode: SocketError.OperationAborted }
                            && (attemptCts.IsCancellationRequested || clock.Elapsed >= timeout));
                    if (!lastCutShort) last = ex;
                    log?.Invoke($"{name}: attempt {attempt} failed: {credentials.Scrub(ex.Message)}");
                }
                catch (Exception ex) when (ex is not VirtTestException)
                {
                    throw new SessionClosedException(name, $"Could not connect to {name}: {credentials.Scrub(ex.Message)}", ex);
                }
                var wait = timeout - clock.Elapsed;
                if (wait <= TimeSpan.Zero) throw NoConnection(name, options, timeout, attempt, last, lastCutShort);
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

    private static SessionTimeoutException NoConnection(string name, SshConnectionOptions options, TimeSpan timeout, int attempts, Exception? last, bool lastCutShort)
    {
        // An attempt the deadline ended says little by itself (on a loaded machine even a
        // refusal can be seen too late): a last look at the port says what is there, and the
        // error of the attempt before it follows.
        var why = !lastCutShort ? last?.Message ?? "no attempt finished"
            : "the attempt was still in progress at the deadline; " + TcpProbe.Describe(options.Host, options.Port, TimeSpan.FromMilliseconds(500))
              + (last is null ? "" : "; the attempt before: " + last.Message);
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
            info.Timeout = SshSession.OperationTimeout;
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>A second connection with the same credentials, for SFTP; the server must show the same host key.</summary>
    public static async Task<SftpClient> OpenSftpAsync(SshLogin login, SshConnectionOptions options, CancellationToken ct)
    {
        SshHostKeyException? verdict = null;
        try
        {
            var sftp = await OpenClientAsync(info => new SftpClient(info), login.Credentials, SshSession.OperationTimeout, e =>
            {
                if (e.HostKey.AsSpan().SequenceEqual(login.HostKey)) return true;
                verdict = new SshHostKeyException(login.Name, options.Host, options.Port, SshHostKeyProblem.Changed, SshKnownHosts.Fingerprint(e.HostKey),
                    new[] { SshKnownHosts.Fingerprint(login.HostKey) }, options.KnownHostsPath);
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
            throw login.Credentials.AuthenticationFailed(ex);
        }
    }

    /// <summary>Errors that mean "not up yet" while connecting: worth another attempt.</summary>
    /// <summary>
    /// Whether an attempt's error may go away by itself (a guest still booting): network and
    /// protocol errors. A missing file or assembly is an IOException too, but no retry mends it,
    /// so it ends the connect at once rather than at the deadline.
    /// </summary>
    internal static bool IsTransient(Exception ex) =>
        ex is SocketException or SshConnectionException or SshOperationTimeoutException or ProxyException
            || (ex is IOException && ex is not (FileNotFoundException or FileLoadException or DirectoryNotFoundException or PathTooLongException))
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
}
