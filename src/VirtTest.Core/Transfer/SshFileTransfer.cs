using System.Net.Sockets;
using System.Security.Cryptography;
using Renci.SshNet;
using Renci.SshNet.Common;
using VirtTest.Core.Session;

namespace VirtTest.Core.Transfer;

/// <summary>
/// Copies files and folders between the host and a guest over SFTP, on a second SSH
/// connection made with the <see cref="SshSession"/>'s login (its host key must be the one
/// the session accepted). Each copied file is checked: SHA-256 of the host file against
/// <c>sha256sum</c> run on the guest through the session's exec channel; a difference is a
/// <see cref="TransferException"/> with <see cref="TransferException.IsChecksumMismatch"/>.
/// A single file is checked right after its copy; in folder transfers the files are checked
/// in batches (up to 100 files per <c>sha256sum</c> call, since each exec channel costs a
/// remote process start), each file against its own sum.
/// </summary>
/// <remarks>
/// <para>Paths on the guest are SFTP paths: absolute, or relative to the login's home folder
/// (as the exec channel's are); <c>~</c> is not expanded. For the checksum the path is passed
/// to the guest's shell single-quoted (<see cref="ShellQuote.Single"/>), never bare.</para>
/// <para>A file goes to exactly the destination path given (its missing parent folders are
/// created); an existing file there is replaced. A downloaded file is written next to its
/// destination as <c>&lt;name&gt;.virttest-part</c> and renamed once verified, so a failed
/// download never leaves a partial file under the real name. A folder is copied recursively
/// into the destination folder (created when missing; what is there already is kept unless
/// overwritten), empty folders included. Uploads follow symbolic links to files and skip
/// links to folders; downloads skip symbolic links and special files. Permissions and times
/// are not carried over.</para>
/// <para>Progress goes to an <see cref="IProgress{T}"/> of <see cref="TransferProgress"/>,
/// called on the transferring thread: at the start of each file, as bytes move, and when the
/// file is checked (<see cref="TransferProgress.FilesDone"/> counts checked files). The host
/// side's SHA-256 is a second read of the file after the copy.</para>
/// </remarks>
public sealed class SshFileTransfer : IAsyncDisposable, IDisposable
{
    private readonly SshSession _session;
    private readonly SftpClient _sftp;
    private int _disposed;

    private SshFileTransfer(SshSession session, SftpClient sftp)
    {
        _session = session;
        _sftp = sftp;
    }

    /// <summary>Check each copied file's SHA-256 on both sides (default true; needs <c>sha256sum</c> on the guest).</summary>
    public bool VerifyChecksums { get; set; } = true;

    /// <summary>Deadline for one remote <c>sha256sum</c> (large images take a while).</summary>
    public TimeSpan ChecksumTimeout { get; set; } = TimeSpan.FromMinutes(10);

    public SshSession Session => _session;

    /// <summary>Opens the SFTP connection for a session.</summary>
    public static async Task<SshFileTransfer> OpenAsync(SshSession session, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        try
        {
            var sftp = await session.OpenSftpAsync(ct).ConfigureAwait(false);
            return new SshFileTransfer(session, sftp);
        }
        catch (Exception ex) when (ex is SshException or SocketException or IOException)
        {
            throw new TransferException(session.Name, "", $"Could not start SFTP on {session.Name}: {ex.Message}", ex);
        }
    }

    // ---- single files ----

    /// <summary>Copies a host file to <paramref name="remotePath"/> on the guest and verifies it.</summary>
    public async Task<TransferResult> UploadFileAsync(string localPath, string remotePath, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        ThrowIfDisposed();
        var file = new FileInfo(localPath);
        if (!file.Exists) throw new TransferException(_session.Name, localPath, $"Cannot upload '{localPath}': no such file.");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var tracker = new TransferTracker(progress, TransferDirection.Upload, file.Length, 1);
        await EnsureRemoteDirectoryAsync(RemoteParent(remotePath), ct).ConfigureAwait(false);
        var copied = await UploadOneAsync(file.FullName, remotePath, tracker, ct).ConfigureAwait(false);
        await CompleteAsync(new List<Copied> { copied }, tracker, ct).ConfigureAwait(false);
        return new TransferResult(TransferDirection.Upload, file.FullName, remotePath, 1, copied.Bytes, clock.Elapsed, VerifyChecksums);
    }

    /// <summary>Copies a guest file to <paramref name="localPath"/> on the host and verifies it.</summary>
    public async Task<TransferResult> DownloadFileAsync(string remotePath, string localPath, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        ThrowIfDisposed();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var attrs = await SftpAsync(remotePath, () => _sftp.GetAttributesAsync(remotePath, ct)).ConfigureAwait(false);
        if (attrs.IsDirectory) throw new TransferException(_session.Name, remotePath, $"Cannot download '{remotePath}' from {_session.Name} as a file: it is a folder (use DownloadDirectoryAsync).");
        var tracker = new TransferTracker(progress, TransferDirection.Download, attrs.Size, 1);
        var full = Path.GetFullPath(localPath);
        var copied = await DownloadOneAsync(remotePath, full, attrs.Size, tracker, ct).ConfigureAwait(false);
        try
        {
            await CompleteAsync(new List<Copied> { copied }, tracker, ct).ConfigureAwait(false);
        }
        catch
        {
            DeletePart(copied.PartPath);
            throw;
        }
        return new TransferResult(TransferDirection.Download, remotePath, full, 1, copied.Bytes, clock.Elapsed, VerifyChecksums);
    }

    // ---- folders ----

    /// <summary>Copies a host folder, recursively, into <paramref name="remoteDirectory"/> on the guest.</summary>
    public async Task<TransferResult> UploadDirectoryAsync(string localDirectory, string remoteDirectory, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        ThrowIfDisposed();
        var root = new DirectoryInfo(localDirectory);
        if (!root.Exists) throw new TransferException(_session.Name, localDirectory, $"Cannot upload '{localDirectory}': no such folder.");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var dirs = new List<string>();
        var files = new List<(string Path, string Relative, long Length)>();
        WalkLocal(root, "", dirs, files);
        var tracker = new TransferTracker(progress, TransferDirection.Upload, files.Sum(f => f.Length), files.Count);
        await EnsureRemoteDirectoryAsync(remoteDirectory, ct).ConfigureAwait(false);
        // Parents come before their children in the list.
        foreach (var d in dirs) await CreateRemoteDirectoryAsync(RemoteJoin(remoteDirectory, d), ct).ConfigureAwait(false);
        long bytes = 0;
        var batch = new List<Copied>();
        foreach (var f in files)
        {
            var copied = await UploadOneAsync(f.Path, RemoteJoin(remoteDirectory, f.Relative), tracker, ct).ConfigureAwait(false);
            bytes += copied.Bytes;
            batch.Add(copied);
            if (BatchIsFull(batch)) await CompleteAsync(batch, tracker, ct).ConfigureAwait(false);
        }
        await CompleteAsync(batch, tracker, ct).ConfigureAwait(false);
        return new TransferResult(TransferDirection.Upload, root.FullName, remoteDirectory, files.Count, bytes, clock.Elapsed, VerifyChecksums);
    }

    /// <summary>Copies a guest folder, recursively, into <paramref name="localDirectory"/> on the host.</summary>
    public async Task<TransferResult> DownloadDirectoryAsync(string remoteDirectory, string localDirectory, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        ThrowIfDisposed();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var attrs = await SftpAsync(remoteDirectory, () => _sftp.GetAttributesAsync(remoteDirectory, ct)).ConfigureAwait(false);
        if (!attrs.IsDirectory) throw new TransferException(_session.Name, remoteDirectory, $"Cannot download '{remoteDirectory}' from {_session.Name} as a folder: it is not one.");
        var dirs = new List<string>();
        var files = new List<(string Path, string Relative, long Length)>();
        await WalkRemoteAsync(remoteDirectory, "", dirs, files, ct).ConfigureAwait(false);
        var root = Path.GetFullPath(localDirectory);
        Directory.CreateDirectory(root);
        foreach (var d in dirs) Directory.CreateDirectory(Path.Combine(root, LocalRelative(d)));
        var tracker = new TransferTracker(progress, TransferDirection.Download, files.Sum(f => f.Length), files.Count);
        long bytes = 0;
        var batch = new List<Copied>();
        try
        {
            foreach (var f in files)
            {
                var copied = await DownloadOneAsync(f.Path, Path.Combine(root, LocalRelative(f.Relative)), f.Length, tracker, ct).ConfigureAwait(false);
                bytes += copied.Bytes;
                batch.Add(copied);
                if (BatchIsFull(batch)) await CompleteAsync(batch, tracker, ct).ConfigureAwait(false);
            }
            await CompleteAsync(batch, tracker, ct).ConfigureAwait(false);
        }
        catch
        {
            foreach (var c in batch) DeletePart(c.PartPath);
            throw;
        }
        return new TransferResult(TransferDirection.Download, remoteDirectory, root, files.Count, bytes, clock.Elapsed, VerifyChecksums);
    }

    // ---- checksums ----

    /// <summary>Compares a host file with a guest file by SHA-256; a difference throws <see cref="TransferException"/>.</summary>
    public async Task VerifyAsync(string localPath, string remotePath, CancellationToken ct = default)
    {
        var local = await LocalSha256Async(localPath, ct).ConfigureAwait(false);
        var remote = await RemoteSha256Async(remotePath, ct).ConfigureAwait(false);
        if (!string.Equals(local, remote, StringComparison.OrdinalIgnoreCase))
            throw new TransferException(_session.Name, remotePath,
                $"Checksum mismatch for '{remotePath}' on {_session.Name}: SHA-256 on the guest is {remote}, of '{localPath}' on the host {local}.", local, remote);
    }

    /// <summary>SHA-256 (lower-case hex) of a host file, streamed.</summary>
    public static async Task<string> LocalSha256Async(string path, CancellationToken ct = default)
    {
        await using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Convert.ToHexString(await SHA256.HashDataAsync(s, ct).ConfigureAwait(false)).ToLowerInvariant();
    }

    /// <summary>SHA-256 (lower-case hex) of a guest file, by <c>sha256sum</c> on the session's exec channel.</summary>
    public async Task<string> RemoteSha256Async(string remotePath, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(remotePath);
        var r = await _session.ExecAsync("sha256sum -- " + ShellQuote.Single(remotePath), ChecksumTimeout, ct).ConfigureAwait(false);
        if (r.ExitStatus == 127)
            throw new TransferException(_session.Name, remotePath, $"Cannot verify '{remotePath}': {_session.Name} has no sha256sum (set VerifyChecksums = false to skip the check).");
        if (r.ExitStatus != 0)
            throw new TransferException(_session.Name, remotePath, $"sha256sum of '{remotePath}' on {_session.Name} failed with exit status {r.ExitStatus}: {(r.Stderr + r.Stdout).Trim()}");
        return ParseHash(r.Stdout) ?? throw new TransferException(_session.Name, remotePath, $"Unexpected sha256sum output for '{remotePath}' on {_session.Name}: {r.Stdout.Trim()}");
    }

    /// <summary>SHA-256 of several guest files with one <c>sha256sum</c> (falls back to one call each when that fails).</summary>
    private async Task<IReadOnlyList<string>> RemoteSha256ManyAsync(IReadOnlyList<string> paths, CancellationToken ct)
    {
        if (paths.Count > 1)
        {
            var r = await _session.ExecAsync("sha256sum -- " + string.Join(' ', paths.Select(ShellQuote.Single)), ChecksumTimeout, ct).ConfigureAwait(false);
            var hashes = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(ParseHash).ToList();
            if (r.ExitStatus == 0 && hashes.Count == paths.Count && hashes.All(h => h is not null)) return hashes!;
        }
        var one = new List<string>();
        foreach (var p in paths) one.Add(await RemoteSha256Async(p, ct).ConfigureAwait(false));
        return one;
    }

    /// <summary>"&lt;hash&gt;  &lt;name&gt;"; a name with a backslash or newline makes sha256sum start the line with '\'.</summary>
    private static string? ParseHash(string line)
    {
        var t = line.TrimStart();
        if (t.StartsWith('\\')) t = t[1..];
        if (t.Length < 64) return null;
        var hash = t[..64];
        return hash.All(Uri.IsHexDigit) && (t.Length == 64 || t[64] == ' ') ? hash.ToLowerInvariant() : null;
    }

    // ---- verification and completion ----

    /// <summary>A copied file waiting for its check (a download still under its part name).</summary>
    private sealed record Copied(string Display, string LocalPath, string RemotePath, long Bytes, string? PartPath);

    /// <summary>Folder transfers check their files in batches: one remote sha256sum per batch (a channel per file costs).</summary>
    private static bool BatchIsFull(List<Copied> batch) =>
        batch.Count >= 100 || batch.Sum(c => c.RemotePath.Length + 3) >= 32 * 1024;

    /// <summary>Checks the copies (when asked to), moves downloads to their names, and reports them done.</summary>
    private async Task CompleteAsync(List<Copied> batch, TransferTracker tracker, CancellationToken ct)
    {
        if (batch.Count == 0) return;
        if (VerifyChecksums)
        {
            var remote = await RemoteSha256ManyAsync(batch.Select(c => c.RemotePath).ToList(), ct).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++)
            {
                var c = batch[i];
                var local = await LocalSha256Async(c.PartPath ?? c.LocalPath, ct).ConfigureAwait(false);
                if (!string.Equals(local, remote[i], StringComparison.OrdinalIgnoreCase))
                    throw new TransferException(_session.Name, c.RemotePath,
                        $"Checksum mismatch after copying '{c.RemotePath}' on {_session.Name}: SHA-256 on the guest is {remote[i]}, of '{c.LocalPath}' on the host {local}.", local, remote[i]);
            }
        }
        foreach (var c in batch)
        {
            if (c.PartPath is not null) File.Move(c.PartPath, c.LocalPath, overwrite: true);
            tracker.Finish(c.Display, c.Bytes);
        }
        batch.Clear();
    }

    private static void DeletePart(string? part)
    {
        if (part is null) return;
        try { File.Delete(part); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    // ---- one file each way ----

    private async Task<Copied> UploadOneAsync(string localPath, string remotePath, TransferTracker tracker, CancellationToken ct)
    {
        await using var source = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        var length = source.Length;
        tracker.Start(localPath, length);
        var report = new Callback<UploadFileProgressReport>(r => tracker.Advance(localPath, length, (long)r.TotalBytesUploaded));
        await SftpAsync(remotePath, async () =>
        {
            await _sftp.UploadFileAsync(source, remotePath, true, report, ct).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
        tracker.Moved(localPath, length);
        return new Copied(localPath, localPath, remotePath, length, null);
    }

    /// <summary>Downloads to "&lt;localPath&gt;.virttest-part"; <see cref="CompleteAsync"/> renames it once checked.</summary>
    private async Task<Copied> DownloadOneAsync(string remotePath, string localPath, long length, TransferTracker tracker, CancellationToken ct)
    {
        var dir = Path.GetDirectoryName(localPath);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var part = localPath + ".virttest-part";
        try
        {
            tracker.Start(remotePath, length);
            await using var target = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            var report = new Callback<DownloadFileProgressReport>(r => tracker.Advance(remotePath, length, (long)r.TotalBytesDownloaded));
            await SftpAsync(remotePath, async () =>
            {
                await _sftp.DownloadFileAsync(remotePath, target, report, ct).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
            tracker.Moved(remotePath, target.Length);
            return new Copied(remotePath, localPath, remotePath, target.Length, part);
        }
        catch
        {
            DeletePart(part);
            throw;
        }
    }

    // ---- folders ----

    private static readonly EnumerationOptions OneLevel = new()
    {
        AttributesToSkip = 0, // the default skips hidden (dot) files
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
    };

    private static void WalkLocal(DirectoryInfo dir, string relative, List<string> dirs, List<(string, string, long)> files)
    {
        foreach (var entry in dir.EnumerateFileSystemInfos("*", OneLevel).OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var rel = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
            switch (entry)
            {
                case DirectoryInfo d when d.LinkTarget is null:
                    dirs.Add(rel);
                    WalkLocal(d, rel, dirs, files);
                    break;
                case FileInfo f when f.LinkTarget is null:
                    files.Add((f.FullName, rel, f.Length));
                    break;
                case FileInfo f when f.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true } target:
                    files.Add((f.FullName, rel, target.Length));
                    break;
            }
        }
    }

    private async Task WalkRemoteAsync(string dir, string relative, List<string> dirs, List<(string, string, long)> files, CancellationToken ct)
    {
        var entries = await SftpAsync(dir, async () =>
        {
            var list = new List<Renci.SshNet.Sftp.ISftpFile>();
            await foreach (var e in _sftp.ListDirectoryAsync(dir, ct).ConfigureAwait(false)) list.Add(e);
            return list;
        }).ConfigureAwait(false);
        foreach (var e in entries.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (e.Name is "." or "..") continue;
            var rel = relative.Length == 0 ? e.Name : relative + "/" + e.Name;
            var path = RemoteJoin(dir, e.Name);
            if (e.IsDirectory)
            {
                dirs.Add(rel);
                await WalkRemoteAsync(path, rel, dirs, files, ct).ConfigureAwait(false);
            }
            else if (e.IsRegularFile)
            {
                files.Add((path, rel, e.Length));
            }
        }
    }

    /// <summary>Creates a guest folder and its missing parents (one round trip when it exists already).</summary>
    private async Task EnsureRemoteDirectoryAsync(string path, CancellationToken ct)
    {
        if (path.Length == 0 || path is "." or "/") return;
        if (await IsRemoteDirectoryAsync(path, ct).ConfigureAwait(false)) return;
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var current = path.StartsWith('/') ? "" : null;
        foreach (var part in parts)
        {
            current = current is null ? part : current + "/" + part;
            if (part == "." || await IsRemoteDirectoryAsync(current, ct).ConfigureAwait(false)) continue;
            await CreateRemoteDirectoryAsync(current, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Creates one guest folder whose parent exists; fine when it exists already.</summary>
    private async Task CreateRemoteDirectoryAsync(string path, CancellationToken ct)
    {
        try
        {
            await _sftp.CreateDirectoryAsync(path, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SshException or SocketException or IOException)
        {
            // It may exist already (or have been created meanwhile by another transfer).
            if (ex is SftpException && await IsRemoteDirectoryAsync(path, ct).ConfigureAwait(false)) return;
            throw Wrap(path, ex);
        }
    }

    /// <summary>True for a folder (or a link, taken to be one), false when nothing is there; a file in the way is an error.</summary>
    private async Task<bool> IsRemoteDirectoryAsync(string path, CancellationToken ct)
    {
        Renci.SshNet.Sftp.SftpFileAttributes attrs;
        try
        {
            attrs = await _sftp.GetAttributesAsync(path, ct).ConfigureAwait(false);
        }
        catch (SftpPathNotFoundException)
        {
            return false;
        }
        catch (Exception ex) when (ex is SshException or SocketException or IOException)
        {
            throw Wrap(path, ex);
        }
        if (attrs.IsDirectory || attrs.IsSymbolicLink) return true;
        throw new TransferException(_session.Name, path, $"Cannot create folder '{path}' on {_session.Name}: a file is in the way.");
    }

    private static string RemoteParent(string remotePath)
    {
        var i = remotePath.TrimEnd('/').LastIndexOf('/');
        return i < 0 ? "" : i == 0 ? "/" : remotePath[..i];
    }

    private static string RemoteJoin(string dir, string relative) =>
        dir.Length == 0 ? relative : dir.EndsWith('/') ? dir + relative : dir + "/" + relative;

    private static string LocalRelative(string relative) => relative.Replace('/', Path.DirectorySeparatorChar);

    // ---- errors ----

    /// <summary>Runs an SFTP call, turning its failures into <see cref="TransferException"/> (cancellation and session errors pass).</summary>
    private async Task<T> SftpAsync<T>(string path, Func<Task<T>> call)
    {
        ThrowIfDisposed();
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SshException or SocketException or IOException)
        {
            throw Wrap(path, ex);
        }
    }

    private TransferException Wrap(string path, Exception ex) => ex switch
    {
        SftpPathNotFoundException => new TransferException(_session.Name, path, $"'{path}' does not exist on {_session.Name}.", ex),
        SftpPermissionDeniedException => new TransferException(_session.Name, path, $"Permission denied for '{path}' on {_session.Name}.", ex),
        SshConnectionException or SocketException => new TransferException(_session.Name, path, $"The SFTP connection to {_session.Name} was lost at '{path}': {ex.Message}", ex),
        _ => new TransferException(_session.Name, path, $"SFTP failed at '{path}' on {_session.Name}: {ex.Message}", ex),
    };

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed != 0, this);

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try { if (_sftp.IsConnected) _sftp.Disconnect(); } catch { /* connection already gone */ }
        _sftp.Dispose();
    }

    // ---- progress ----

    private sealed class Callback<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }
}
