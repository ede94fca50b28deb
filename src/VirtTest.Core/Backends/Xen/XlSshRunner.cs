using System.Globalization;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Common;
using VirtTest.Core.Session;
using VirtTest.Core.Transfer;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// Runs <c>xl</c> on a Xen host over SSH (SSH.NET): one connection, opened on first use and
/// shared by every VM on that host (see <see cref="XenHostPool"/>), each xl command on its own
/// exec channel as an argument list quoted for the host's POSIX shell by
/// <see cref="ShellQuote.Command"/>; <c>xl console</c> on a channel with a pseudo-terminal; the
/// domain's config written over SFTP into <c>/var/tmp/virttest/&lt;domain&gt;</c>, removed with the
/// domain. Kernels and initrds are copied once per connection (by content) into
/// <c>/var/tmp/virttest/files-&lt;id&gt;</c>, which the domains' configs name and which is removed
/// when the connection closes: copying into a nested dom0 is slow, and test runs boot the same
/// kernel again and again. A lost connection is opened again by the next command.
/// </summary>
public sealed class XlSshRunner : IXlRunner, IAsyncDisposable
{
    /// <summary>The parent of the domains' folders on the Xen host.</summary>
    public const string RemoteRoot = "/var/tmp/virttest";
    private static readonly TimeSpan HousekeepingTimeout = TimeSpan.FromSeconds(60);
    /// <summary>How long a terminal has to start xl (the shell's start-up files run first).</summary>
    private static readonly TimeSpan TerminalStartTimeout = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly object _filesGate = new();
    /// <summary>Files copied on this connection: SHA-256 of the content → the copy's path on the host.</summary>
    private readonly Dictionary<string, Task<string>> _files = new(StringComparer.Ordinal);
    private readonly string _filesFolder = RemoteRoot + "/files-" + Guid.NewGuid().ToString("N")[..12];
    private SshSession? _session;
    private SftpClient? _sftp;
    private volatile bool _disposed;

    public XlSshRunner(XenHostTarget target) => Target = target;

    public XenHostTarget Target { get; }

    public string? RemoteHost => Target.ToString();

    private string HostName => Target.ToString();

    /// <summary>The connection, opened (again) when there is none or it was lost.</summary>
    private async Task<SshSession> SessionAsync(CancellationToken ct)
    {
        if (_session is { IsOpen: true } open) return open;
        await _connectLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_session is { IsOpen: true } again) return again;
            await DropAsync().ConfigureAwait(false);
            try
            {
                _session = await SshSession.ConnectAsync(Target.ToConnectionOptions(), Target.ConnectTimeout, ct).ConfigureAwait(false);
            }
            catch (SessionAuthenticationException ex)
            {
                throw new XenHostAuthenticationException(HostName, $"the login was refused ({ex.Message}). Check xen_host_key or xen_host_password.", ex);
            }
            catch (SessionTimeoutException ex)
            {
                throw new XenHostException(HostName, string.Create(CultureInfo.InvariantCulture,
                    $"no SSH connection within {Target.ConnectTimeout.TotalSeconds:0.#} s (xen_host_timeout). {ex.Message} Is the host up and its SSH server listening?"), ex);
            }
            catch (Exception ex) when (ex is SessionException or SshHostKeyException)
            {
                throw new XenHostException(HostName, ex.Message, ex);
            }
            return _session;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <summary>Closes the connection and SFTP client (under the connect lock or when disposed).</summary>
    private async Task DropAsync()
    {
        var sftp = _sftp;
        _sftp = null;
        if (sftp is not null)
        {
            try { sftp.Dispose(); } catch (Exception ex) when (ex is SshException or ObjectDisposedException or IOException) { /* already gone */ }
        }
        var session = _session;
        _session = null;
        if (session is not null) await session.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<SftpClient> SftpAsync(CancellationToken ct)
    {
        var session = await SessionAsync(ct).ConfigureAwait(false);
        await _connectLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_sftp is { IsConnected: true } sftp) return sftp;
            try { _sftp?.Dispose(); } catch (Exception ex) when (ex is SshException or ObjectDisposedException or IOException) { }
            _sftp = null;
            try
            {
                _sftp = await session.OpenSftpAsync(ct).ConfigureAwait(false);
            }
            catch (SessionAuthenticationException ex)
            {
                throw new XenHostAuthenticationException(HostName, $"the SFTP login was refused ({ex.Message})", ex);
            }
            catch (Exception ex) when (ex is SessionException or SshHostKeyException or SshException or IOException or System.Net.Sockets.SocketException)
            {
                throw new XenHostException(HostName, $"could not open SFTP ({ex.Message}); the host's SSH server needs the sftp subsystem", ex);
            }
            return _sftp;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <summary>Runs a program on the host from an argument list; a lost connection is a <see cref="XenHostException"/>.</summary>
    private async Task<SshExecResult> ExecAsync(IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken ct)
    {
        var session = await SessionAsync(ct).ConfigureAwait(false);
        try
        {
            return await session.ExecAsync(ShellQuote.Command(argv), timeout, ct).ConfigureAwait(false);
        }
        catch (SessionClosedException ex)
        {
            throw new XenHostException(HostName, $"the connection was lost while '{string.Join(' ', argv)}' ran ({ex.Message})", ex);
        }
    }

    public async Task<XlResult> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct)
    {
        SshExecResult r;
        try
        {
            r = await ExecAsync(arguments.Prepend("xl").ToList(), timeout, ct).ConfigureAwait(false);
        }
        catch (SessionTimeoutException ex)
        {
            throw new XenToolstackException(arguments, null, ex.Received,
                string.Create(CultureInfo.InvariantCulture, $"did not finish within {timeout.TotalSeconds:0.###} s and was killed"), ex, HostName);
        }
        // 127: the shell found no such program.
        if (r.ExitStatus == 127 && r.Stdout.Length == 0) throw new XenToolstackNotFoundException(arguments, "xl", null, HostName);
        return new XlResult(r.ExitStatus, r.Stdout, r.Stderr);
    }

    public async Task<Stream> OpenTerminalAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var session = await SessionAsync(ct).ConfigureAwait(false);
        ShellStream shell;
        try
        {
            shell = await session.OpenTerminalAsync(ct).ConfigureAwait(false);
        }
        catch (SessionException ex)
        {
            throw new XenHostException(HostName, $"could not open a terminal channel for 'xl {string.Join(' ', arguments)}' ({ex.Message})", ex);
        }
        try
        {
            return await SshTerminalStream.StartAsync(shell, arguments.Prepend("xl").ToList(), TerminalStartTimeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new XenToolstackException(arguments, null, "", $"did not start on a terminal within {TerminalStartTimeout.TotalSeconds:0} s ({ex.Message})", ex, HostName);
        }
        catch (IOException ex)
        {
            throw new XenToolstackException(arguments, null, "", $"ended before it started ({ex.Message})", ex, HostName);
        }
    }

    public async Task<IXenHostFolder> CreateFolderAsync(string domainName, string local, CancellationToken ct)
    {
        if (domainName.Length == 0 || domainName.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            throw new ArgumentException($"'{domainName}' is not usable as a folder name.", nameof(domainName));
        var path = RemoteRoot + "/" + domainName;
        var r = await ExecAsync(new[] { "mkdir", "-p", "-m", "700", "--", path }, HousekeepingTimeout, ct).ConfigureAwait(false);
        if (r.ExitStatus != 0) throw new XenHostException(HostName, $"could not create the folder {path} (exit status {r.ExitStatus}: {r.Stderr.Trim()})");
        return new RemoteFolder(this, path);
    }

    public async Task<XenHostFile?> ProbeFileAsync(string path, int headLength, CancellationToken ct)
    {
        var sftp = await SftpAsync(ct).ConfigureAwait(false);
        try
        {
            if (!await sftp.ExistsAsync(path, ct).ConfigureAwait(false)) return null;
            var attributes = await sftp.GetAttributesAsync(path, ct).ConfigureAwait(false);
            if (!attributes.IsRegularFile) return null;
            var head = new byte[Math.Min(headLength, attributes.Size)];
            await using var stream = await sftp.OpenAsync(path, FileMode.Open, FileAccess.Read, ct).ConfigureAwait(false);
            await stream.ReadExactlyAsync(head, ct).ConfigureAwait(false);
            return new XenHostFile(attributes.Size, head);
        }
        catch (SftpPathNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is SshException or IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            throw new XenHostException(HostName, $"could not read {path} over SFTP ({ex.Message})", ex);
        }
    }

    /// <summary>The host's copy of a local file (by content), copied over SFTP on first use on this connection.</summary>
    private Task<string> HostCopyAsync(string localPath, CancellationToken ct)
    {
        string hash;
        using (var stream = File.OpenRead(localPath)) hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(stream)).ToLowerInvariant();
        lock (_filesGate)
        {
            if (_files.TryGetValue(hash, out var existing) && !existing.IsFaulted && !existing.IsCanceled) return existing;
            var copy = CopyToHostAsync(localPath, hash, ct);
            _files[hash] = copy;
            return copy;
        }
    }

    private async Task<string> CopyToHostAsync(string localPath, string hash, CancellationToken ct)
    {
        var r = await ExecAsync(new[] { "mkdir", "-p", "-m", "700", "--", _filesFolder }, HousekeepingTimeout, ct).ConfigureAwait(false);
        if (r.ExitStatus != 0) throw new XenHostException(HostName, $"could not create the folder {_filesFolder} (exit status {r.ExitStatus}: {r.Stderr.Trim()})");
        var target = _filesFolder + "/" + hash[..16] + "-" + SafeName(Path.GetFileName(localPath));
        var partial = target + ".part";
        await UploadAsync(() => new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true), partial, ct).ConfigureAwait(false);
        // Complete files only: a copy cut short never carries the final name.
        var mv = await ExecAsync(new[] { "mv", "-f", "--", partial, target }, HousekeepingTimeout, ct).ConfigureAwait(false);
        if (mv.ExitStatus != 0) throw new XenHostException(HostName, $"could not rename {partial} (exit status {mv.ExitStatus}: {mv.Stderr.Trim()})");
        return target;
    }

    private static string SafeName(string name)
    {
        var safe = new string(name.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.').Take(40).ToArray()).TrimStart('.');
        return safe.Length == 0 ? "file" : safe;
    }

    private async Task UploadAsync(Func<Stream> open, string target, CancellationToken ct)
    {
        var sftp = await SftpAsync(ct).ConfigureAwait(false);
        try
        {
            await using var source = open();
            await sftp.UploadFileAsync(source, target, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SshException or IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            throw new XenHostException(HostName, $"could not copy {target} over SFTP ({ex.Message})", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        bool copied;
        lock (_filesGate) copied = _files.Count > 0;
        if (copied && _session is { IsOpen: true })
        {
            try { await ExecAsync(new[] { "rm", "-rf", "--", _filesFolder }, HousekeepingTimeout, CancellationToken.None).ConfigureAwait(false); }
            catch (Exception ex) when (ex is XenHostException or SessionException or ObjectDisposedException) { /* the host is gone */ }
        }
        _disposed = true;
        await _connectLock.WaitAsync().ConfigureAwait(false);
        try { await DropAsync().ConfigureAwait(false); }
        finally { _connectLock.Release(); }
    }

    /// <summary>A domain's folder on the Xen host: files arrive over SFTP; <c>rm -rf</c> removes it.</summary>
    private sealed class RemoteFolder : IXenHostFolder
    {
        private readonly XlSshRunner _runner;
        private int _disposed;

        public RemoteFolder(XlSshRunner runner, string path)
        {
            _runner = runner;
            Path = path;
        }

        public string Path { get; }

        public async Task<string> WriteTextAsync(string fileName, string text, CancellationToken ct)
        {
            if (fileName.Contains('/')) throw new ArgumentException($"'{fileName}' is not a file name.", nameof(fileName));
            var target = Path + "/" + fileName;
            await _runner.UploadAsync(() => new MemoryStream(Encoding.UTF8.GetBytes(text)), target, ct).ConfigureAwait(false);
            return target;
        }

        /// <summary>The connection's copy (see the class remarks): not in this folder, shared by the connection's domains.</summary>
        public Task<string> CopyFileAsync(string localPath, string fileName, CancellationToken ct) => _runner.HostCopyAsync(localPath, ct);

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0 || _runner._disposed) return;
            try
            {
                await _runner.ExecAsync(new[] { "rm", "-rf", "--", Path }, HousekeepingTimeout, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is XenHostException or SessionException or ObjectDisposedException)
            {
                // The host is gone or unreachable: nothing more can be removed from here.
            }
        }
    }
}
