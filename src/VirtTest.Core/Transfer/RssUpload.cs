using System.Security.Cryptography;

namespace VirtTest.Core.Transfer;

/// <summary>A file as copied: its path relative to the transfer (with '/'), its length and, when hashed, its SHA-256.</summary>
internal sealed record RssFileDigest(string RelativePath, long Length, string? Sha256);

/// <summary>
/// What an RSS upload sends, walked on the host before the connection opens (so progress
/// knows the totals): the entries of a host path or wildcard pattern, folders with
/// everything in them, in the order they go on the wire.
/// </summary>
internal sealed class RssUploadPlan
{
    private RssUploadPlan(List<Item> items, List<string> topLevel)
    {
        Items = items;
        TopLevel = topLevel;
    }

    public enum Kind { File, EnterDir, LeaveDir }

    /// <summary>One step on the wire; <see cref="Relative"/> uses '/'.</summary>
    public sealed record Item(Kind Kind, string Name, string Relative, string? FullPath, long Length);

    public List<Item> Items { get; }
    /// <summary>Names of the entries the pattern matched (files or folders).</summary>
    public List<string> TopLevel { get; }
    public long Bytes => Items.Sum(i => i.Length);
    public int Files => Items.Count(i => i.Kind == Kind.File);

    /// <summary>True when the path's last part has <c>*</c> or <c>?</c>.</summary>
    public static bool IsPattern(string path) => Path.GetFileName(path.TrimEnd('/', '\\')).IndexOfAny(['*', '?']) >= 0;

    /// <exception cref="TransferException">Nothing there, nothing matched, or a folder without <paramref name="recurse"/>.</exception>
    public static RssUploadPlan FromLocal(string server, string localPath, bool recurse)
    {
        var full = Path.GetFullPath(localPath);
        var entries = new List<FileSystemInfo>();
        if (IsPattern(full))
        {
            var parent = Path.GetDirectoryName(full) ?? ".";
            if (!Directory.Exists(parent)) throw new TransferException(server, localPath, $"Cannot upload '{localPath}': the folder '{parent}' does not exist.");
            var options = new EnumerationOptions { AttributesToSkip = 0, MatchCasing = MatchCasing.PlatformDefault, RecurseSubdirectories = false };
            entries.AddRange(new DirectoryInfo(parent).EnumerateFileSystemInfos(Path.GetFileName(full), options).OrderBy(e => e.Name, StringComparer.Ordinal));
            if (entries.Count == 0) throw new TransferException(server, localPath, $"Cannot upload '{localPath}': the pattern matches nothing on the host.");
        }
        else if (Directory.Exists(full)) entries.Add(new DirectoryInfo(full));
        else if (File.Exists(full)) entries.Add(new FileInfo(full));
        else throw new TransferException(server, localPath, $"Cannot upload '{localPath}': no such file or folder on the host.");

        var items = new List<Item>();
        foreach (var entry in entries)
        {
            if (entry is DirectoryInfo dir)
            {
                if (!recurse) throw new TransferException(server, localPath, $"Cannot upload '{entry.FullName}': it is a folder (use -Recurse to copy folders).");
                AddFolder(dir, dir.Name, items);
            }
            else if (entry is FileInfo file && Length(file) is long length)
            {
                items.Add(new Item(Kind.File, file.Name, file.Name, file.FullName, length));
            }
        }
        return new RssUploadPlan(items, entries.Select(e => e.Name).ToList());
    }

    private static readonly EnumerationOptions OneLevel = new() { AttributesToSkip = 0, IgnoreInaccessible = false, RecurseSubdirectories = false };

    private static void AddFolder(DirectoryInfo dir, string relative, List<Item> items)
    {
        items.Add(new Item(Kind.EnterDir, dir.Name, relative, dir.FullName, 0));
        foreach (var entry in dir.EnumerateFileSystemInfos("*", OneLevel).OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var rel = relative + "/" + entry.Name;
            if (entry is DirectoryInfo sub && sub.LinkTarget is null) AddFolder(sub, rel, items);
            else if (entry is FileInfo file && Length(file) is long length) items.Add(new Item(Kind.File, file.Name, rel, file.FullName, length));
        }
        items.Add(new Item(Kind.LeaveDir, dir.Name, relative, null, 0));
    }

    /// <summary>A regular file's length (a link to one: the target's); null for anything else (skipped).</summary>
    private static long? Length(FileInfo file)
    {
        if (file.LinkTarget is null) return file.Length;
        return file.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true } target ? target.Length : null;
    }
}

/// <summary>Sends an <see cref="RssUploadPlan"/> on an upload connection and waits for the server's OK.</summary>
internal static class RssUploader
{
    /// <summary>How long a failed write waits for the server's error message, which says why.</summary>
    private static readonly TimeSpan ReplyGrace = TimeSpan.FromSeconds(2);

    public static async Task<List<RssFileDigest>> SendAsync(RssConnection connection, RssUploadPlan plan, string remotePath, bool hash,
        TransferTracker tracker, CancellationToken ct)
    {
        var digests = new List<RssFileDigest>();
        // The server answers once, at the end (OK) or at its first failure (ERROR, then it
        // closes): watch for that while sending, so its message is what the caller sees.
        var reply = Task.Run(() => ReadReplyAsync(connection, remotePath, ct), CancellationToken.None);
        try
        {
            connection.WriteMsg(RssProtocol.SetPath);
            connection.WriteTextPacket(remotePath);
            var buffers = new[] { new byte[connection.ChunkSize + 4], new byte[connection.ChunkSize + 4] };
            foreach (var item in plan.Items)
            {
                switch (item.Kind)
                {
                    case RssUploadPlan.Kind.EnterDir:
                        connection.WriteMsg(RssProtocol.CreateDir);
                        connection.WriteTextPacket(item.Name);
                        break;
                    case RssUploadPlan.Kind.LeaveDir:
                        connection.WriteMsg(RssProtocol.LeaveDir);
                        break;
                    default:
                        digests.Add(await SendFileAsync(connection, item, buffers, hash, tracker, reply, ct).ConfigureAwait(false));
                        break;
                }
                if (reply.IsCompleted) break;
            }
            if (!reply.IsCompleted)
            {
                connection.WriteMsg(RssProtocol.Done);
                await connection.FlushAsync(remotePath, ct).ConfigureAwait(false);
            }
        }
        catch (RssConnectionException sendFailed)
        {
            // The server may have said why before it closed.
            throw await ReplyOr(reply, sendFailed, connection.Server, remotePath).ConfigureAwait(false);
        }
        finally
        {
            _ = reply.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
        var (ok, message) = await reply.ConfigureAwait(false);
        if (!ok) throw new RssServerException(connection.Server, remotePath, message!, $"the upload to '{remotePath}'");
        return digests;
    }

    /// <summary>Fills a chunk after the 4 bytes kept for the packet's length (less only at the end of the file).</summary>
    private static ValueTask<int> ReadChunkAsync(FileStream source, byte[] buffer, int chunk, CancellationToken ct) =>
        source.ReadAtLeastAsync(buffer.AsMemory(4, chunk), chunk, throwOnEndOfStream: false, ct);

    private static async Task<RssFileDigest> SendFileAsync(RssConnection connection, RssUploadPlan.Item item, byte[][] buffers, bool hash,
        TransferTracker tracker, Task reply, CancellationToken ct)
    {
        connection.WriteMsg(RssProtocol.CreateFile);
        connection.WriteTextPacket(item.Name);
        using var sha = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        var chunk = connection.ChunkSize;
        long sent = 0;
        tracker.Start(item.FullPath!, item.Length);
        await using (var source = new FileStream(item.FullPath!, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        {
            // Two buffers: the next chunk is read from disk while the last one goes out.
            var (current, next) = (buffers[0], buffers[1]);
            var n = await ReadChunkAsync(source, current, chunk, ct).ConfigureAwait(false);
            while (true)
            {
                sha?.AppendData(current, 4, n);
                var write = connection.WriteDataPacketAsync(current, n, item.Relative, ct).AsTask();
                var last = n < chunk; // a packet shorter than the chunk size ends the file
                var nextLength = 0;
                try
                {
                    if (!last) nextLength = await ReadChunkAsync(source, next, chunk, ct).ConfigureAwait(false);
                }
                finally
                {
                    await write.ConfigureAwait(false);
                }
                sent += n;
                tracker.Advance(item.FullPath!, item.Length, sent);
                if (last || reply.IsCompleted) break;
                (current, next, n) = (next, current, nextLength);
            }
        }
        tracker.Moved(item.FullPath!, sent);
        return new RssFileDigest(item.Relative, sent, sha is null ? null : Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant());
    }

    /// <summary>OK, or ERROR and the server's message.</summary>
    private static async Task<(bool Ok, string? Message)> ReadReplyAsync(RssConnection connection, string remotePath, CancellationToken ct)
    {
        var msg = await connection.ReadMsgAsync("the server's answer to the upload", remotePath, ct).ConfigureAwait(false);
        return msg switch
        {
            RssProtocol.Ok => (true, null),
            RssProtocol.Error => (false, await connection.ReadTextAsync("the server's error message", remotePath, ct).ConfigureAwait(false)),
            _ => throw new RssProtocolException(connection.Server, remotePath, $"{connection.Server} answered an upload with {RssProtocol.Name(msg)}, not OK or ERROR."),
        };
    }

    /// <summary>The server's error when it sent one in time; otherwise the send failure.</summary>
    private static async Task<Exception> ReplyOr(Task<(bool Ok, string? Message)> reply, RssConnectionException sendFailed, string server, string remotePath)
    {
        try
        {
            var (ok, message) = await reply.WaitAsync(ReplyGrace).ConfigureAwait(false);
            if (!ok) return new RssServerException(server, remotePath, message!, $"the upload to '{remotePath}'");
        }
        catch (Exception ex) when (ex is TransferException or TimeoutException or OperationCanceledException)
        {
            // No message: the send failure says what is known.
        }
        return sendFailed;
    }
}
