using System.Diagnostics;

namespace VirtTest.Core.Transfer;

/// <summary>
/// Copies files, folder trees and wildcard patterns to and from a host running the remote
/// shell agent of Windows guests (rss.exe, file transfer on port 10023; protocol:
/// <see cref="RssProtocol"/>). Each upload or download is one connection. No login: the
/// agent has none.
/// </summary>
/// <remarks>
/// <para><b>Where things go</b> follows the agent. Upload: when the guest path is an existing
/// folder, the files and folders go into it; otherwise the guest path is the name of the
/// single file uploaded. Download: when the host path is an existing folder, the entries go
/// into it; otherwise a pattern's entries go into a new folder of that name, and a single
/// file or folder takes the host path as its name. Guest paths may use <c>%variables%</c>
/// (the agent expands them) and are at most 511 bytes; names travel as UTF-8.</para>
/// <para><b>Nothing half-written</b>: a download is written under temporary names
/// (<c>&lt;name&gt;.virttest-part</c>; a new folder as one such folder) and renamed once it
/// is complete and checked; a failed download removes them.</para>
/// <para><b>Checks</b> (<see cref="VerifyChecksums"/>): sizes and SHA-256 of both copies,
/// computed on the host, so the guest needs no hashing tool. An upload hashes what it sends,
/// then reads the guest's copy back; a download hashes what it receives, then reads the
/// guest's file a second time. A check costs a second transfer.</para>
/// <para><b>Errors</b> are <see cref="TransferException"/>s: the server's refusal with its own
/// message (<see cref="RssServerException"/>), a connection refused, reset or closed before
/// the server's message could be read (<see cref="RssConnectionException"/>), a peer that does
/// not speak the protocol (<see cref="RssProtocolException"/>), a deadline
/// (<see cref="TransferTimeoutException"/>). Cancellation throws <see cref="OperationCanceledException"/>.</para>
/// </remarks>
public sealed class RssFileTransferClient
{
    private readonly int _chunkSize = RssProtocol.DefaultChunkSize;

    public RssFileTransferClient(string host, int port = RssProtocol.DefaultPort)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        if (port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), port, "Not a TCP port (1-65535).");
        Host = host;
        Port = port;
    }

    public string Host { get; }
    public int Port { get; }
    /// <summary>E.g. "rss 127.0.0.1:10023".</summary>
    public string Name => $"rss {Host}:{Port}";

    /// <summary>Bytes per data packet, sent to the server in the handshake (512 to 1 MiB; default 64 KiB).</summary>
    public int ChunkSize
    {
        get => _chunkSize;
        init
        {
            if (value is < RssProtocol.MinChunkSize or > RssProtocol.MaxChunkSize)
                throw new ArgumentOutOfRangeException(nameof(ChunkSize), value, $"The RSS chunk size must be {RssProtocol.MinChunkSize} to {RssProtocol.MaxChunkSize} bytes.");
            _chunkSize = value;
        }
    }

    /// <summary>Limit for the TCP connect of each connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Deadline of one whole upload or download, checks included.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Check sizes and SHA-256 of both copies (default true; costs a second transfer).</summary>
    public bool VerifyChecksums { get; init; } = true;

    /// <summary>
    /// Copies a host file, folder (with <paramref name="recurse"/>) or wildcard pattern
    /// (<c>*</c>, <c>?</c> in the last part) to <paramref name="remotePath"/> on the guest.
    /// </summary>
    public async Task<TransferResult> UploadAsync(string localPath, string remotePath, bool recurse = false, IProgress<TransferProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(localPath);
        CheckRemotePath(remotePath);
        var plan = RssUploadPlan.FromLocal(Name, localPath, recurse);
        var clock = Stopwatch.StartNew();
        var tracker = new TransferTracker(progress, TransferDirection.Upload, plan.Bytes, plan.Files);
        return await WithDeadlineAsync($"the upload of '{localPath}' to '{remotePath}'", remotePath, ct, async token =>
        {
            List<RssFileDigest> sent;
            await using (var connection = await OpenAsync(RssProtocol.Upload, remotePath, token).ConfigureAwait(false))
            await using (token.Register(connection.Abort).ConfigureAwait(false))
            {
                sent = await RssUploader.SendAsync(connection, plan, remotePath, VerifyChecksums, tracker, token).ConfigureAwait(false);
            }
            if (VerifyChecksums) await VerifyUploadAsync(plan, sent, localPath, remotePath, token).ConfigureAwait(false);
            foreach (var d in sent) tracker.Finish(d.RelativePath, d.Length);
            return new TransferResult(TransferDirection.Upload, Path.GetFullPath(localPath), remotePath, sent.Count, sent.Sum(d => d.Length), clock.Elapsed, VerifyChecksums);
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies a guest file, folder (with <paramref name="recurse"/>) or wildcard pattern to
    /// <paramref name="localPath"/> on the host. A path or pattern that matches nothing is an error.
    /// </summary>
    public async Task<TransferResult> DownloadAsync(string remotePath, string localPath, bool recurse = false, IProgress<TransferProgress>? progress = null,
        CancellationToken ct = default)
    {
        CheckRemotePath(remotePath);
        ArgumentException.ThrowIfNullOrEmpty(localPath);
        var full = Path.GetFullPath(localPath);
        var clock = Stopwatch.StartNew();
        var pattern = RssUploadPlan.IsPattern(remotePath);
        return await WithDeadlineAsync($"the download of '{remotePath}' to '{full}'", remotePath, ct, async token =>
        {
            var sink = new RssDiskSink(Name, remotePath, full, pattern);
            try
            {
                var received = await ReceiveAsync(remotePath, sink, VerifyChecksums, recurse || pattern,
                    new TransferTracker(progress, TransferDirection.Download, 0, 0, totalsKnown: false), token).ConfigureAwait(false);
                if (received.TopLevelEntries == 0)
                    throw new TransferException(Name, remotePath, $"'{remotePath}' {(pattern ? "matches nothing" : "does not exist")} on {Name}.");
                if (VerifyChecksums)
                {
                    var again = await ReceiveAsync(remotePath, new RssHashOnlySink(), true, true, new TransferTracker(null, TransferDirection.Download, 0, 0, false), token)
                        .ConfigureAwait(false);
                    Compare(received.Files, again.Files, remotePath, "read a second time from the guest");
                }
                sink.Commit();
                return new TransferResult(TransferDirection.Download, remotePath, full, received.Files.Count, received.Files.Sum(d => d.Length), clock.Elapsed, VerifyChecksums);
            }
            catch
            {
                sink.Rollback();
                throw;
            }
        }).ConfigureAwait(false);
    }

    /// <summary>Sizes and SHA-256 of the guest files a path or pattern matches, without writing anything.</summary>
    internal async Task<List<RssFileDigest>> HashRemoteAsync(string remotePath, CancellationToken ct) =>
        (await ReceiveAsync(remotePath, new RssHashOnlySink(), true, true, new TransferTracker(null, TransferDirection.Download, 0, 0, false), ct).ConfigureAwait(false)).Files;

    private async Task<RssDownloader.Received> ReceiveAsync(string remotePath, IRssDownloadSink sink, bool hash, bool folders, TransferTracker tracker, CancellationToken ct)
    {
        await using var connection = await OpenAsync(RssProtocol.Download, remotePath, ct).ConfigureAwait(false);
        await using var abort = ct.Register(connection.Abort).ConfigureAwait(false);
        return await RssDownloader.ReceiveAsync(connection, remotePath, sink, hash, folders, tracker, ct).ConfigureAwait(false);
    }

    private Task<RssConnection> OpenAsync(uint direction, string remotePath, CancellationToken ct) =>
        RssConnection.OpenAsync(Host, Port, ChunkSize, direction, remotePath, ConnectTimeout, ct);

    /// <summary>
    /// Finds the guest copy of each uploaded entry (inside the guest path when that is a
    /// folder, else the guest path itself) and compares it with what was sent.
    /// </summary>
    private async Task VerifyUploadAsync(RssUploadPlan plan, List<RssFileDigest> sent, string localPath, string remotePath, CancellationToken ct)
    {
        foreach (var name in plan.TopLevel)
        {
            var mine = sent.Where(d => d.RelativePath == name || d.RelativePath.StartsWith(name + "/", StringComparison.Ordinal)).ToList();
            List<RssFileDigest> copy;
            try
            {
                copy = await HashRemoteAsync(JoinRemote(remotePath, name), ct).ConfigureAwait(false);
            }
            catch (RssServerException)
            {
                copy = new(); // e.g. the guest path is a file, so "path\name" is no path at all
            }
            if (copy.Count == 0 && mine.Count == 1 && mine[0].RelativePath == name && plan.TopLevel.Count == 1 && !RssUploadPlan.IsPattern(localPath))
            {
                // The guest path was no folder: it is the file's own name.
                copy = (await HashRemoteAsync(remotePath, ct).ConfigureAwait(false)).Select(d => d with { RelativePath = name }).ToList();
            }
            Compare(mine, copy, remotePath, "on the guest after the upload");
        }
    }

    /// <summary>Every file of <paramref name="expected"/> must be in <paramref name="actual"/> with the same size and SHA-256.</summary>
    private void Compare(List<RssFileDigest> expected, List<RssFileDigest> actual, string remotePath, string where)
    {
        var byPath = new Dictionary<string, RssFileDigest>(StringComparer.OrdinalIgnoreCase);
        foreach (var d in actual) byPath[d.RelativePath] = d;
        foreach (var e in expected)
        {
            if (!byPath.TryGetValue(e.RelativePath, out var a))
                throw new TransferException(Name, remotePath, $"Check failed for '{e.RelativePath}' of '{remotePath}' on {Name}: the file is not there {where}.");
            if (a.Length != e.Length || !string.Equals(a.Sha256, e.Sha256, StringComparison.OrdinalIgnoreCase))
                throw new TransferException(Name, remotePath,
                    $"Check failed for '{e.RelativePath}' of '{remotePath}' on {Name}: {e.Length} bytes with SHA-256 {e.Sha256} on the host, {a.Length} bytes with SHA-256 {a.Sha256} {where}.",
                    e.Sha256 ?? "", a.Sha256 ?? "");
        }
    }

    /// <summary>Guest paths are Windows paths: a backslash joins.</summary>
    private static string JoinRemote(string folder, string name) => folder.TrimEnd('\\', '/') + "\\" + name;

    private void CheckRemotePath(string remotePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(remotePath);
        var bytes = System.Text.Encoding.UTF8.GetByteCount(remotePath);
        if (bytes > RssProtocol.MaxPathBytes)
            throw new TransferException(Name, remotePath, $"The guest path '{remotePath}' has {bytes} bytes; the agent takes at most {RssProtocol.MaxPathBytes}.");
    }

    /// <summary>Runs one transfer under <see cref="Timeout"/>; its expiry becomes <see cref="TransferTimeoutException"/>, the caller's cancellation <see cref="OperationCanceledException"/>.</summary>
    private async Task<T> WithDeadlineAsync<T>(string what, string remotePath, CancellationToken ct, Func<CancellationToken, Task<T>> work)
    {
        using var deadline = new CancellationTokenSource(Timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            return await work(linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TransferException && ct.IsCancellationRequested)
        {
            throw new OperationCanceledException($"{what} on {Name} was cancelled.", ex, ct);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TransferException && deadline.IsCancellationRequested)
        {
            throw new TransferTimeoutException(Name, remotePath, $"{char.ToUpperInvariant(what[0])}{what[1..]} on {Name} did not finish within {Timeout.TotalSeconds:0.#} s.", Timeout);
        }
    }
}
