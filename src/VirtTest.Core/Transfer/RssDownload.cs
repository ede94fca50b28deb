using System.Security.Cryptography;

namespace VirtTest.Core.Transfer;

/// <summary>Where the entries of an RSS download go: files on the host, or nowhere (hashes only).</summary>
internal interface IRssDownloadSink
{
    /// <summary>A stream for the next file's bytes (disposed by the caller).</summary>
    Stream OpenFile(string name);
    void EnterDir(string name);
    void LeaveDir();
}

/// <summary>Receives the entries an RSS download sends, into a sink, and gives their digests.</summary>
internal static class RssDownloader
{
    /// <summary>What a download received: the files' digests and how many entries (files and folders) the path matched.</summary>
    public sealed record Received(List<RssFileDigest> Files, int TopLevelEntries);

    /// <summary>
    /// Asks for <paramref name="remotePath"/> and receives its entries into <paramref name="sink"/>;
    /// with <paramref name="folders"/> false a folder at the top is an error (the caller asked for a file).
    /// </summary>
    public static async Task<Received> ReceiveAsync(RssConnection connection, string remotePath, IRssDownloadSink sink, bool hash, bool folders,
        TransferTracker tracker, CancellationToken ct)
    {
        connection.WriteMsg(RssProtocol.SetPath);
        connection.WriteTextPacket(remotePath);
        await connection.FlushAsync(remotePath, ct).ConfigureAwait(false);
        var digests = new List<RssFileDigest>();
        var path = new Stack<string>();
        var topLevel = 0;
        var buffers = new[] { new byte[connection.ChunkSize], new byte[connection.ChunkSize] };
        using var sha = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
        while (true)
        {
            var msg = await connection.ReadMsgAsync("the next entry", remotePath, ct).ConfigureAwait(false);
            switch (msg)
            {
                case RssProtocol.CreateFile:
                {
                    var name = await ReadNameAsync(connection, remotePath, ct).ConfigureAwait(false);
                    if (path.Count == 0) topLevel++;
                    var relative = Relative(path, name);
                    tracker.Start(relative, 0);
                    long length = 0;
                    var target = sink.OpenFile(name);
                    await using (target.ConfigureAwait(false))
                    {
                        // Two buffers: the next packet is read from the network while the last one is written.
                        var (current, next) = (buffers[0], buffers[1]);
                        var writing = Task.CompletedTask;
                        try
                        {
                            while (true)
                            {
                                var n = await connection.ReadPacketAsync(current, $"the data of '{relative}'", remotePath, ct).ConfigureAwait(false);
                                sha?.AppendData(current, 0, n);
                                await writing.ConfigureAwait(false);
                                if (n > 0) writing = target.WriteAsync(current.AsMemory(0, n), ct).AsTask();
                                length += n;
                                tracker.Advance(relative, length, length);
                                if (n < current.Length) break; // a short packet ends the file
                                (current, next) = (next, current);
                            }
                        }
                        finally
                        {
                            await writing.ConfigureAwait(false);
                        }
                    }
                    tracker.Moved(relative, length);
                    tracker.Finish(relative, length);
                    digests.Add(new RssFileDigest(relative, length, sha is null ? null : Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant()));
                    break;
                }
                case RssProtocol.CreateDir:
                {
                    var name = await ReadNameAsync(connection, remotePath, ct).ConfigureAwait(false);
                    if (path.Count == 0)
                    {
                        if (!folders)
                            throw new TransferException(connection.Server, remotePath, $"Cannot download '{remotePath}' from {connection.Server} as a file: '{name}' is a folder (use -Recurse to copy folders).");
                        topLevel++;
                    }
                    sink.EnterDir(name);
                    path.Push(name);
                    break;
                }
                case RssProtocol.LeaveDir:
                    if (path.Count == 0) throw new RssProtocolException(connection.Server, remotePath, $"{connection.Server} sent LEAVE_DIR outside any folder while sending '{remotePath}'.");
                    path.Pop();
                    sink.LeaveDir();
                    break;
                case RssProtocol.Done:
                    if (path.Count != 0) throw new RssProtocolException(connection.Server, remotePath, $"{connection.Server} sent DONE inside the folder '{string.Join('/', path.Reverse())}' while sending '{remotePath}'.");
                    return new Received(digests, topLevel);
                case RssProtocol.Error:
                    throw new RssServerException(connection.Server, remotePath,
                        await connection.ReadTextAsync("the server's error message", remotePath, ct).ConfigureAwait(false), $"the download of '{remotePath}'");
                default:
                    throw new RssProtocolException(connection.Server, remotePath, $"{connection.Server} sent {RssProtocol.Name(msg)} where an entry of '{remotePath}' was expected.");
            }
        }
    }

    /// <summary>A name from the server; only a plain name is accepted (nothing that leaves the destination).</summary>
    private static async Task<string> ReadNameAsync(RssConnection connection, string remotePath, CancellationToken ct)
    {
        var name = await connection.ReadTextAsync("an entry's name", remotePath, ct).ConfigureAwait(false);
        if (name.Length == 0 || name is "." or ".." || name.IndexOfAny(['/', '\\', '\0']) >= 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new RssProtocolException(connection.Server, remotePath, $"{connection.Server} sent the entry name '{name}' for '{remotePath}', which is not a plain file name.");
        return name;
    }

    private static string Relative(Stack<string> folders, string name) =>
        folders.Count == 0 ? name : string.Join('/', folders.Reverse()) + "/" + name;
}

/// <summary>Discards what it receives: for a second download that only hashes (verification).</summary>
internal sealed class RssHashOnlySink : IRssDownloadSink
{
    public Stream OpenFile(string name) => Stream.Null;
    public void EnterDir(string name) { }
    public void LeaveDir() { }
}

/// <summary>
/// Writes a download to the host so that nothing half-written is left under a real name:
/// a new folder is written as <c>&lt;name&gt;.virttest-part</c> with everything in it, a file
/// in a folder that already exists as <c>&lt;name&gt;.virttest-part</c>; <see cref="Commit"/>
/// renames them (a new tree is one rename), <see cref="Rollback"/> deletes them.
/// </summary>
/// <remarks>
/// Where the entries go: into the destination when it is an existing folder; otherwise a
/// pattern's entries go into a new folder of that name, and a single entry (file or folder)
/// takes the destination's name.
/// </remarks>
internal sealed class RssDiskSink : IRssDownloadSink
{
    public const string PartSuffix = ".virttest-part";

    /// <summary>Where entries at this level finally go, and where they are written now.</summary>
    private sealed record Level(string Final, string Write, bool InsideNewFolder);

    private readonly string _server;
    private readonly string _remotePath;
    private readonly string _destination;
    private readonly bool _single;
    private readonly Stack<Level> _levels = new();
    private readonly List<(string Part, string Final, bool IsFolder)> _renames = new();
    private int _topLevelEntries;

    public RssDiskSink(string server, string remotePath, string destination, bool pattern)
    {
        _server = server;
        _remotePath = remotePath;
        _destination = Path.GetFullPath(destination);
        if (Directory.Exists(_destination))
        {
            _levels.Push(new Level(_destination, _destination, false));
        }
        else if (pattern)
        {
            _levels.Push(NewFolder(_destination));
        }
        else
        {
            _single = true;
            var parent = Path.GetDirectoryName(_destination)!;
            Directory.CreateDirectory(parent);
            _levels.Push(new Level(parent, parent, false));
        }
    }

    public Stream OpenFile(string name)
    {
        var level = _levels.Peek();
        var final = FinalPath(level, name);
        string write;
        if (level.InsideNewFolder)
        {
            write = Path.Combine(level.Write, name);
        }
        else
        {
            write = final + PartSuffix;
            _renames.Add((write, final, false));
        }
        return new FileStream(write, FileMode.Create, FileAccess.Write, FileShare.None, 1);
    }

    public void EnterDir(string name)
    {
        var level = _levels.Peek();
        var final = FinalPath(level, name);
        if (level.InsideNewFolder)
        {
            var write = Path.Combine(level.Write, name);
            Directory.CreateDirectory(write);
            _levels.Push(new Level(final, write, true));
        }
        else if (Directory.Exists(final))
        {
            _levels.Push(new Level(final, final, false));
        }
        else
        {
            _levels.Push(NewFolder(final));
        }
    }

    public void LeaveDir() => _levels.Pop();

    private string FinalPath(Level level, string name)
    {
        if (_levels.Count == 1 && ++_topLevelEntries > 1 && _single)
            throw new RssProtocolException(_server, _remotePath, $"{_server} sent several entries for '{_remotePath}', which names one file or folder.");
        return _single && _levels.Count == 1 ? _destination : Path.Combine(level.Final, name);
    }

    private Level NewFolder(string final)
    {
        var part = final + PartSuffix;
        if (Directory.Exists(part)) Directory.Delete(part, recursive: true); // left by a killed process
        Directory.CreateDirectory(part);
        _renames.Add((part, final, true));
        return new Level(final, part, true);
    }

    /// <summary>Moves everything to its real name (existing files are replaced).</summary>
    public void Commit()
    {
        foreach (var (part, final, isFolder) in _renames)
        {
            if (isFolder) Directory.Move(part, final);
            else File.Move(part, final, overwrite: true);
        }
        _renames.Clear();
    }

    /// <summary>Deletes what was written (best effort: the caller's error is what matters).</summary>
    public void Rollback()
    {
        foreach (var (part, _, isFolder) in _renames)
        {
            try
            {
                if (isFolder) Directory.Delete(part, recursive: true);
                else File.Delete(part);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // gone already, or still open by a dying reader
            }
        }
        _renames.Clear();
    }
}
