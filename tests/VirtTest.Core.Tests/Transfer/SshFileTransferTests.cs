using System.Security.Cryptography;
using VirtTest.Core.Session;
using VirtTest.Core.Tests.Session;
using VirtTest.Core.Transfer;
using Xunit;

namespace VirtTest.Core.Tests.Transfer;

/// <summary>An sshd, a session with an SFTP transfer on it, and scratch folders on both sides.</summary>
public sealed class SshTransferFixture : IAsyncLifetime
{
    private static readonly TimeSpan T = TimeSpan.FromSeconds(20);
    private SshTestServer? _server;

    public SshSession Session { get; private set; } = null!;
    public SshFileTransfer Transfer { get; private set; } = null!;
    public string Remote { get; private set; } = null!;
    public string Local { get; } = Directory.CreateTempSubdirectory("virttest-transfer-").FullName;

    public async Task InitializeAsync()
    {
        _server = await SshTestServer.StartNewAsync();
        Session = await SshSession.ConnectAsync(_server.KeyOptions(), T);
        Remote = (await Session.CmdAsync("mktemp -d /tmp/virttest-remote-XXXXXX", T)).Trim();
        Transfer = await SshFileTransfer.OpenAsync(Session);
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (Remote is not null) await Session.CmdAsync("rm -rf " + ShellQuote.Single(Remote), T);
        }
        finally
        {
            Transfer?.Dispose();
            if (Session is not null) await Session.DisposeAsync();
            if (_server is not null) await _server.DisposeAsync();
            Directory.Delete(Local, recursive: true);
        }
    }
}

/// <summary>SFTP transfers, checked by SHA-256 on both sides, against a real sshd on loopback.</summary>
[Trait("Category", "Ssh")]
public sealed class SshFileTransferTests : IClassFixture<SshTransferFixture>
{
    private static readonly TimeSpan T = TimeSpan.FromSeconds(20);
    private readonly SshSession _session;
    private readonly SshFileTransfer _xfer;
    private readonly string _local;
    private readonly string _remote;

    public SshFileTransferTests(SshTransferFixture fixture)
    {
        // Each test gets folders of its own on both sides.
        var id = Guid.NewGuid().ToString("N")[..8];
        _session = fixture.Session;
        _xfer = fixture.Transfer;
        _local = Directory.CreateDirectory(Path.Combine(fixture.Local, id)).FullName;
        _remote = fixture.Remote + "/" + id;
    }

    private string LocalFile(string name, int size)
    {
        var path = Path.Combine(_local, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(size));
        return path;
    }

    private static string Sha256(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))).ToLowerInvariant();

    /// <summary>Collects reports synchronously (Progress&lt;T&gt; would post them later).</summary>
    private sealed class Collect : IProgress<TransferProgress>
    {
        public readonly List<TransferProgress> Reports = new();
        public void Report(TransferProgress value) { lock (Reports) Reports.Add(value); }
    }

    [Fact]
    public async Task AFileGoesUpAndComesBackIdenticalWithProgress()
    {
        const int size = 3 * 1024 * 1024 + 12345;
        var source = LocalFile("image.bin", size);
        var xfer = _xfer;
        var remote = _remote + "/sub dir/image copy.bin"; // a missing parent and spaces

        var up = new Collect();
        var r = await xfer.UploadFileAsync(source, remote, up);
        Assert.Equal((1, (long)size, true), (r.Files, r.Bytes, r.Verified));
        Assert.Equal(Sha256(source), await xfer.RemoteSha256Async(remote));
        Assert.Equal(Sha256(source), (await _session.CmdAsync("sha256sum " + ShellQuote.Single(remote), T))[..64]);
        Assert.True(up.Reports.Count >= 3, $"only {up.Reports.Count} progress reports");
        Assert.All(up.Reports, p => Assert.Equal(size, p.BytesTotal));
        Assert.Equal(up.Reports.Select(p => p.BytesDone).Order(), up.Reports.Select(p => p.BytesDone));
        Assert.Contains(up.Reports, p => p.BytesDone > 0 && p.BytesDone < size);
        var last = up.Reports[^1];
        Assert.Equal((size, 1, 1, 100.0), (last.BytesDone, last.FilesDone, last.FilesTotal, last.Percent));
        Assert.Equal(source, last.CurrentFile);

        var back = Path.Combine(_local, "back", "image.bin");
        var down = new Collect();
        var d = await xfer.DownloadFileAsync(remote, back, down);
        Assert.Equal((long)size, d.Bytes);
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(back));
        Assert.False(File.Exists(back + ".virttest-part"));
        Assert.Equal(size, down.Reports[^1].BytesDone);
        Assert.Equal(TransferDirection.Download, down.Reports[^1].Direction);
        Assert.Equal(remote, down.Reports[^1].CurrentFile);
    }

    [Fact]
    public async Task AFolderGoesUpAndComesBackIdentical()
    {
        var tree = Path.Combine(_local, "tree");
        var files = new Dictionary<string, int>
        {
            ["a.txt"] = 10,
            [".hidden"] = 3,
            ["it's $HOME `x`.bin"] = 70_000,
            ["sub/b.bin"] = 200_000,
            ["sub/deeper/c.bin"] = 0,
        };
        foreach (var (rel, size) in files) LocalFile(Path.Combine("tree", rel), size);
        Directory.CreateDirectory(Path.Combine(tree, "empty"));
        var xfer = _xfer;

        var up = new Collect();
        var r = await xfer.UploadDirectoryAsync(tree, _remote + "/tree", up);
        Assert.Equal(files.Count, r.Files);
        Assert.Equal(files.Values.Sum(), r.Bytes);
        Assert.Equal((files.Count, files.Count), (up.Reports[^1].FilesDone, up.Reports[^1].FilesTotal));
        Assert.Equal(files.Values.Sum(), up.Reports[^1].BytesDone);
        Assert.Equal("d\n", await _session.CmdAsync($"test -d {ShellQuote.Single(_remote + "/tree/empty")} && echo d", T));

        var back = Path.Combine(_local, "back");
        var d = await xfer.DownloadDirectoryAsync(_remote + "/tree", back);
        Assert.Equal(files.Count, d.Files);
        foreach (var rel in files.Keys)
            Assert.Equal(File.ReadAllBytes(Path.Combine(tree, rel)), File.ReadAllBytes(Path.Combine(back, rel)));
        Assert.True(Directory.Exists(Path.Combine(back, "empty")));
        Assert.Empty(Directory.EnumerateFiles(back, "*.virttest-part", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task AChangedCopyIsAChecksumMismatch()
    {
        var source = LocalFile("small.bin", 4096);
        var xfer = _xfer;
        var remote = _remote + "/small.bin";
        await xfer.UploadFileAsync(source, remote);
        await _session.CmdAsync("printf x >> " + ShellQuote.Single(remote), T);

        var ex = await Assert.ThrowsAsync<TransferException>(() => xfer.VerifyAsync(source, remote));
        Assert.True(ex.IsChecksumMismatch);
        Assert.Equal(Sha256(source), ex.LocalSha256);
        Assert.NotEqual(ex.LocalSha256, ex.RemoteSha256);
        Assert.Contains(remote, ex.Message);
    }

    [Fact]
    public async Task MissingPathsAreTransferErrors()
    {
        var xfer = _xfer;
        var down = await Assert.ThrowsAsync<TransferException>(() => xfer.DownloadFileAsync(_remote + "/nope", Path.Combine(_local, "nope")));
        Assert.Contains("does not exist", down.Message);
        Assert.False(File.Exists(Path.Combine(_local, "nope")));
        await Assert.ThrowsAsync<TransferException>(() => xfer.UploadFileAsync(Path.Combine(_local, "nope"), _remote + "/x"));
        await Assert.ThrowsAsync<TransferException>(() => xfer.DownloadDirectoryAsync(_remote + "/nope", Path.Combine(_local, "d")));
        var sum = await Assert.ThrowsAsync<TransferException>(() => xfer.RemoteSha256Async(_remote + "/nope"));
        Assert.Contains("sha256sum", sum.Message);
    }

    [Fact]
    public async Task ATransferStopsPromptlyWhenCancelled()
    {
        var source = LocalFile("big.bin", 24 * 1024 * 1024);
        using var cts = new CancellationTokenSource();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Cancel as soon as bytes move.
        var progress = new Cancel(cts, p => p.BytesDone > 0 && p.BytesDone < p.BytesTotal);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _xfer.UploadFileAsync(source, _remote + "/big.bin", progress, cts.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"cancelling the upload took {clock.Elapsed}");

        await _session.CmdAsync($"mkdir -p {ShellQuote.Single(_remote)} && head -c 25165824 /dev/zero > {ShellQuote.Single(_remote + "/zeros.bin")}", T);
        using var cts2 = new CancellationTokenSource();
        var target = Path.Combine(_local, "zeros.bin");
        clock.Restart();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _xfer.DownloadFileAsync(_remote + "/zeros.bin", target, new Cancel(cts2, p => p.BytesDone > 0 && p.BytesDone < p.BytesTotal), cts2.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"cancelling the download took {clock.Elapsed}");
        Assert.False(File.Exists(target));
        Assert.False(File.Exists(target + ".virttest-part"));
        // The transfer stays usable.
        var small = LocalFile("after.bin", 1000);
        await _xfer.UploadFileAsync(small, _remote + "/after.bin");
    }

    private sealed class Cancel(CancellationTokenSource cts, Func<TransferProgress, bool> when) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value)
        {
            if (when(value)) cts.Cancel();
        }
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("it's")]
    [InlineData("$HOME `id` $(id) \"q\" \\ * ? ; & | > <")]
    [InlineData("line\nbreak")]
    [InlineData("")]
    [InlineData("''")]
    public async Task QuotedWordsReachTheShellVerbatim(string text)
    {
        var echoed = await _session.CmdAsync("printf '%s' " + ShellQuote.Single(text), T);
        Assert.Equal(text, echoed);
    }
}
