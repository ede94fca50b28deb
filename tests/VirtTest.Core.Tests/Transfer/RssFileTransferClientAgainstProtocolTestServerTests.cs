using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using VirtTest.Core.Transfer;
using VirtTest.TestServers;
using Xunit;

namespace VirtTest.Core.Tests.Transfer;

/// <summary>
/// The RSS file-transfer client against <see cref="RssFileServer"/>, a server written for the
/// tests from the protocol facts: no Windows guest (the real agent's home) runs here. The
/// server's folder plays drive C:; each test has its own server and folders.
/// </summary>
public sealed class RssFileTransferClientAgainstProtocolTestServerTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("virttest-rss-").FullName;
    private RssFileServer _server = null!;

    /// <summary>The server's drive C: on the host.</summary>
    private string C => _server.Root;
    private string Local => Path.Combine(_dir, "host");

    public Task InitializeAsync()
    {
        _server = RssFileServer.Start(Path.Combine(_dir, "c"));
        Directory.CreateDirectory(Local);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private RssFileTransferClient Client(int chunk = RssProtocol.DefaultChunkSize, bool verify = true) =>
        new("127.0.0.1", _server.Port) { ChunkSize = chunk, VerifyChecksums = verify, Timeout = TimeSpan.FromSeconds(60) };

    private static string NewFile(string path, int length)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[length];
        RandomNumberGenerator.Fill(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Sha(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>Every file and folder under a root, relative, with file hashes: "d a/b", "f a/x.txt 3 HASH".</summary>
    private static List<string> Tree(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(p => Directory.Exists(p)
                ? "d " + Path.GetRelativePath(root, p)
                : $"f {Path.GetRelativePath(root, p)} {new FileInfo(p).Length} {Sha(p)}")
            .Order(StringComparer.Ordinal).ToList();

    private static void AssertNoPartFiles(string root) =>
        Assert.Empty(Directory.EnumerateFileSystemEntries(root, "*.virttest-part", SearchOption.AllDirectories));

    [Fact]
    public async Task AFileGoesIntoAnExistingFolderAndComesBackUnchanged()
    {
        var original = NewFile(Path.Combine(Local, "data.bin"), 300_001);
        var up = await Client().UploadAsync(original, @"C:\");
        Assert.Equal(TransferDirection.Upload, up.Direction);
        Assert.Equal(1, up.Files);
        Assert.Equal(300_001, up.Bytes);
        Assert.True(up.Verified);
        Assert.Equal(Sha(original), Sha(Path.Combine(C, "data.bin")));

        var back = Path.Combine(Local, "back", "data-copy.bin");
        var down = await Client().DownloadAsync(@"C:\data.bin", back);
        Assert.Equal(TransferDirection.Download, down.Direction);
        Assert.Equal(back, down.Destination);
        Assert.Equal(300_001, down.Bytes);
        Assert.True(down.Verified);
        Assert.Equal(Sha(original), Sha(back));
        AssertNoPartFiles(Local);
    }

    [Fact]
    public async Task AGuestPathThatIsNoFolderNamesTheUploadedFileAndVariablesAreExpanded()
    {
        Directory.CreateDirectory(Path.Combine(C, "data"));
        var original = NewFile(Path.Combine(Local, "a.bin"), 5000);
        await Client().UploadAsync(original, @"%SystemDrive%\data\renamed.bin");
        Assert.Equal(Sha(original), Sha(Path.Combine(C, "data", "renamed.bin")));
        Assert.False(File.Exists(Path.Combine(C, "data", "a.bin")));
    }

    [Fact]
    public async Task AZeroLengthFileTravelsBothWays()
    {
        var empty = NewFile(Path.Combine(Local, "empty.txt"), 0);
        var up = await Client().UploadAsync(empty, @"C:\");
        Assert.Equal(0, up.Bytes);
        Assert.Equal(0, new FileInfo(Path.Combine(C, "empty.txt")).Length);

        var back = Path.Combine(Local, "empty-back.txt");
        var down = await Client().DownloadAsync(@"C:\empty.txt", back);
        Assert.Equal(1, down.Files);
        Assert.True(File.Exists(back));
        Assert.Equal(0, new FileInfo(back).Length);
    }

    [Theory]
    [InlineData(4096)]      // exactly one chunk: a full packet, then an empty one ends the file
    [InlineData(2 * 4096)]  // exactly two
    [InlineData(4095)]      // one byte short: the only packet ends it
    [InlineData(4097)]
    public async Task FilesAroundTheChunkSizeArriveWhole(int length)
    {
        var original = NewFile(Path.Combine(Local, $"f{length}.bin"), length);
        await Client(chunk: 4096).UploadAsync(original, @"C:\");
        Assert.Equal(Sha(original), Sha(Path.Combine(C, $"f{length}.bin")));
        var back = Path.Combine(Local, $"back{length}.bin");
        await Client(chunk: 4096).DownloadAsync($@"C:\f{length}.bin", back);
        Assert.Equal(Sha(original), Sha(back));
    }

    [Fact]
    public async Task AFolderTreeWithNestedEmptyFoldersTravelsBothWays()
    {
        var tree = Path.Combine(Local, "tree");
        NewFile(Path.Combine(tree, "top.txt"), 10);
        NewFile(Path.Combine(tree, "sub", "one.bin"), 70_000);
        NewFile(Path.Combine(tree, "sub", "deeper", "two.bin"), 1);
        Directory.CreateDirectory(Path.Combine(tree, "empty", "nested", "emptier"));
        Directory.CreateDirectory(Path.Combine(tree, "sub", "also-empty"));

        var up = await Client(chunk: 512).UploadAsync(tree, @"C:\", recurse: true);
        Assert.Equal(3, up.Files);
        Assert.Equal(70_011, up.Bytes);
        Assert.Equal(Tree(tree), Tree(Path.Combine(C, "tree")));

        var back = Path.Combine(Local, "tree-back");
        var down = await Client(chunk: 512).DownloadAsync(@"C:\tree", back, recurse: true);
        Assert.Equal(3, down.Files);
        Assert.Equal(Tree(tree), Tree(back));
        AssertNoPartFiles(Local);
    }

    [Fact]
    public async Task AFolderWithoutRecurseIsRefusedBothWays()
    {
        Directory.CreateDirectory(Path.Combine(Local, "folder"));
        var up = await Assert.ThrowsAsync<TransferException>(() => Client().UploadAsync(Path.Combine(Local, "folder"), @"C:\"));
        Assert.Contains("-Recurse", up.Message);
        Directory.CreateDirectory(Path.Combine(C, "gfolder"));
        NewFile(Path.Combine(C, "gfolder", "x"), 3);
        var down = await Assert.ThrowsAsync<TransferException>(() => Client().DownloadAsync(@"C:\gfolder", Path.Combine(Local, "g")));
        Assert.Contains("-Recurse", down.Message);
        Assert.False(Directory.Exists(Path.Combine(Local, "g")));
        AssertNoPartFiles(Local);
    }

    [Fact]
    public async Task WildcardPatternsCopyTheMatchesOnly()
    {
        NewFile(Path.Combine(Local, "logs", "a.log"), 100);
        NewFile(Path.Combine(Local, "logs", "b.log"), 200);
        NewFile(Path.Combine(Local, "logs", "c.txt"), 300);
        Directory.CreateDirectory(Path.Combine(C, "Logs"));
        var up = await Client().UploadAsync(Path.Combine(Local, "logs", "*.log"), @"C:\logs");
        Assert.Equal(2, up.Files);
        Assert.Equal(new[] { "a.log", "b.log" }, Directory.GetFiles(Path.Combine(C, "Logs")).Select(Path.GetFileName).Order());

        NewFile(Path.Combine(C, "Logs", "x.txt"), 5);
        var back = Path.Combine(Local, "from-guest");
        var down = await Client().DownloadAsync(@"C:\LOGS\?.LOG", back);
        Assert.Equal(2, down.Files);
        Assert.Equal(new[] { "a.log", "b.log" }, Directory.GetFiles(back).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task AWildcardThatMatchesNothingIsAnErrorAndLeavesNothing()
    {
        Directory.CreateDirectory(Path.Combine(C, "logs"));
        var target = Path.Combine(Local, "none");
        var down = await Assert.ThrowsAsync<TransferException>(() => Client().DownloadAsync(@"C:\logs\*.none", target));
        Assert.Contains("matches nothing", down.Message);
        Assert.False(Directory.Exists(target));
        AssertNoPartFiles(Local);

        var up = await Assert.ThrowsAsync<TransferException>(() => Client().UploadAsync(Path.Combine(Local, "*.none"), @"C:\logs"));
        Assert.Contains("matches nothing", up.Message);
        Assert.Equal(1, _server.Connections); // the download connected; the upload never did
    }

    [Fact]
    public async Task AMissingGuestFolderIsTheServersTypedErrorWithItsMessage()
    {
        var original = NewFile(Path.Combine(Local, "small.bin"), 100);
        var ex = await Assert.ThrowsAsync<RssServerException>(() => Client().UploadAsync(original, @"C:\missing\small.bin"));
        Assert.Contains("cannot find the path", ex.ServerMessage);
        Assert.Contains(ex.ServerMessage, ex.Message);
        Assert.Contains($"127.0.0.1:{_server.Port}", ex.Message);
        Assert.Equal("RssServer", ex.ErrorId);

        var down = await Assert.ThrowsAsync<TransferException>(() => Client().DownloadAsync(@"C:\missing\small.bin", Path.Combine(Local, "x")));
        Assert.Contains("does not exist", down.Message);
        Assert.False(File.Exists(Path.Combine(Local, "x")));
    }

    [Fact]
    public async Task AServerErrorDuringALargeUploadIsReportedClearlyEvenWhenTheResetHidesItsMessage()
    {
        // The server refuses at CREATE_FILE and closes with megabytes of ours unread: depending
        // on timing the client reads its message, or sees a reset first.
        var big = NewFile(Path.Combine(Local, "big.bin"), 16 * 1024 * 1024);
        var ex = await Assert.ThrowsAnyAsync<TransferException>(() => Client().UploadAsync(big, @"C:\missing\big.bin"));
        switch (ex)
        {
            case RssServerException server:
                Assert.Contains("cannot find the path", server.ServerMessage);
                break;
            case RssConnectionException connection:
                Assert.True(connection.ClosedBeforeMessage, connection.Message);
                Assert.Contains("before its error message could be read", connection.Message);
                break;
            default:
                Assert.Fail($"unexpected {ex.GetType().Name}: {ex.Message}");
                break;
        }
        Assert.Contains(_server.Errors, e => e.Contains("cannot find the path"));
    }

    [Fact]
    public async Task AConnectionResetWithoutAMessageSaysSo()
    {
        var original = NewFile(Path.Combine(Local, "reset.bin"), 1_000_000);
        _server.ResetAfterFileBytes = 200_000;
        var ex = await Assert.ThrowsAsync<RssConnectionException>(() => Client().UploadAsync(original, @"C:\"));
        Assert.True(ex.ClosedBeforeMessage);
        Assert.Contains("message", ex.Message);
    }

    [Fact]
    public async Task ADisconnectInTheMiddleOfADownloadLeavesNothingOnTheHost()
    {
        NewFile(Path.Combine(C, "tree", "first.bin"), 100_000);
        NewFile(Path.Combine(C, "tree", "second.bin"), 1_000_000);
        _server.ResetAfterFileBytes = 500_000;
        // A file into an existing folder (written as a part file), and a new tree.
        NewFile(Path.Combine(Local, "keep.txt"), 7);
        var single = await Assert.ThrowsAsync<RssConnectionException>(() => Client().DownloadAsync(@"C:\tree\second.bin", Path.Combine(Local, "second.bin")));
        Assert.True(single.ClosedBeforeMessage);
        await Assert.ThrowsAsync<RssConnectionException>(() => Client().DownloadAsync(@"C:\tree", Path.Combine(Local, "tree"), recurse: true));
        Assert.Equal(new[] { "keep.txt" }, Directory.GetFileSystemEntries(Local).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ADownloadIntoAnExistingFolderReplacesItsFilesAndKeepsTheRest()
    {
        NewFile(Path.Combine(C, "d", "same.txt"), 50);
        NewFile(Path.Combine(C, "d", "sub", "new.txt"), 60);
        var target = Path.Combine(Local, "target");
        NewFile(Path.Combine(target, "d", "same.txt"), 10);
        NewFile(Path.Combine(target, "d", "other.txt"), 20);
        await Client().DownloadAsync(@"C:\d", target, recurse: true);
        Assert.Equal(Sha(Path.Combine(C, "d", "same.txt")), Sha(Path.Combine(target, "d", "same.txt")));
        Assert.Equal(Sha(Path.Combine(C, "d", "sub", "new.txt")), Sha(Path.Combine(target, "d", "sub", "new.txt")));
        Assert.True(File.Exists(Path.Combine(target, "d", "other.txt")));
        AssertNoPartFiles(Local);
    }

    [Fact]
    public async Task ChunkSizesOutOfRangeAreRefusedByTheClientAndByTheServer()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RssFileTransferClient("127.0.0.1", _server.Port) { ChunkSize = 511 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new RssFileTransferClient("127.0.0.1", _server.Port) { ChunkSize = 1024 * 1024 + 1 });
        _server.MaxChunkSize = 4096; // a server with a narrower limit than ours
        NewFile(Path.Combine(C, "x.bin"), 10);
        var ex = await Assert.ThrowsAnyAsync<TransferException>(() => Client(chunk: 8192).DownloadAsync(@"C:\x.bin", Path.Combine(Local, "x.bin")));
        var message = Assert.IsType<RssServerException>(ex).ServerMessage;
        Assert.Contains("Invalid chunk size 8192", message);
        Assert.False(File.Exists(Path.Combine(Local, "x.bin")));
    }

    [Fact]
    public async Task TheChecksDetectACopyThatDiffers()
    {
        var original = NewFile(Path.Combine(Local, "v.bin"), 10_000);
        // The guest's copy changes after it was written (as a broken disk or a virus scanner would).
        _server.FileStored = path => File.WriteAllBytes(path, new byte[10_000]);
        var up = await Assert.ThrowsAsync<TransferException>(() => Client().UploadAsync(original, @"C:\"));
        Assert.True(up.IsChecksumMismatch, up.Message);
        _server.FileStored = null;

        // Two reads of the guest file differ: the download is not kept.
        NewFile(Path.Combine(C, "w.bin"), 10_000);
        var sends = 0;
        _server.FileSent = path => { if (Interlocked.Increment(ref sends) == 1) File.WriteAllBytes(path, new byte[10_000]); };
        var down = await Assert.ThrowsAsync<TransferException>(() => Client().DownloadAsync(@"C:\w.bin", Path.Combine(Local, "w.bin")));
        Assert.True(down.IsChecksumMismatch, down.Message);
        Assert.False(File.Exists(Path.Combine(Local, "w.bin")));
        AssertNoPartFiles(Local);

        // Unchecked, the same download is kept.
        var unchecked_ = await Client(verify: false).DownloadAsync(@"C:\w.bin", Path.Combine(Local, "w.bin"));
        Assert.False(unchecked_.Verified);
        Assert.True(File.Exists(Path.Combine(Local, "w.bin")));
    }

    [Fact]
    public async Task ProgressCountsBytesAndFiles()
    {
        var tree = Path.Combine(Local, "p");
        NewFile(Path.Combine(tree, "a.bin"), 200_000);
        NewFile(Path.Combine(tree, "b.bin"), 100_000);
        var reports = new List<TransferProgress>();
        var progress = new SyncProgress(reports);
        await Client().UploadAsync(tree, @"C:\", recurse: true, progress);
        Assert.NotEmpty(reports);
        Assert.True(reports.All(r => r.BytesTotal == 300_000 && r.FilesTotal == 2 && r.TotalsKnown));
        Assert.Equal(reports.Select(r => r.BytesDone).Order(), reports.Select(r => r.BytesDone));
        Assert.Equal(300_000, reports[^1].BytesDone);
        Assert.Equal(2, reports[^1].FilesDone);

        reports.Clear();
        await Client().DownloadAsync(@"C:\p", Path.Combine(Local, "p-back"), recurse: true, progress);
        Assert.False(reports[0].TotalsKnown);
        Assert.Equal(-1, reports[0].Percent);
        Assert.Equal(300_000, reports[^1].BytesDone);
        Assert.Equal(2, reports[^1].FilesDone);
    }

    [Fact]
    public async Task CancellationStopsAnUploadAndADownloadAndLeavesNoPartFiles()
    {
        var big = NewFile(Path.Combine(Local, "big.bin"), 64 * 1024 * 1024);
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(new List<TransferProgress>(), _ => cts.Cancel());
        var up = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client(chunk: 4096).UploadAsync(big, @"C:\", progress: progress, ct: cts.Token));
        Assert.Equal(cts.Token, up.CancellationToken);

        NewFile(Path.Combine(C, "big2.bin"), 64 * 1024 * 1024);
        using var cts2 = new CancellationTokenSource();
        var progress2 = new SyncProgress(new List<TransferProgress>(), r => { if (r.BytesDone > 1_000_000) cts2.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client(chunk: 4096).DownloadAsync(@"C:\big2.bin", Path.Combine(Local, "big2.bin"), progress: progress2, ct: cts2.Token));
        Assert.False(File.Exists(Path.Combine(Local, "big2.bin")));
        AssertNoPartFiles(Local);
    }

    [Fact]
    public async Task ADeadlineEndsATransferThatStalls()
    {
        // A server that greets and then says nothing more.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        using var done = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            using var peer = await silent.AcceptTcpClientAsync();
            await peer.GetStream().WriteAsync(BitConverter.GetBytes(RssProtocol.Magic));
            try { await Task.Delay(10_000, done.Token); } catch (OperationCanceledException) { }
        });
        var client = new RssFileTransferClient("127.0.0.1", port) { Timeout = TimeSpan.FromSeconds(1) };
        var ex = await Assert.ThrowsAsync<TransferTimeoutException>(() => client.DownloadAsync(@"C:\x", Path.Combine(Local, "x")));
        Assert.Contains("did not finish within 1 s", ex.Message);
        Assert.Equal(TimeSpan.FromSeconds(1), ex.Timeout);
        Assert.False(File.Exists(Path.Combine(Local, "x")));
        done.Cancel();
        silent.Stop();
        await accepting;
    }

    [Fact]
    public async Task APeerThatIsNoRssServerOrNoPeerAtAllIsATypedError()
    {
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var port = ((IPEndPoint)other.LocalEndpoint).Port;
        var accepting = Task.Run(async () =>
        {
            using var peer = await other.AcceptTcpClientAsync();
            await peer.GetStream().WriteAsync("SSH-2.0-OpenSSH_9.2\r\n"u8.ToArray());
            try { while (await peer.GetStream().ReadAsync(new byte[64]) > 0) { } } catch (IOException) { } // until the client leaves
        });
        var protocol = await Assert.ThrowsAsync<RssProtocolException>(() => new RssFileTransferClient("127.0.0.1", port).DownloadAsync(@"C:\x", Path.Combine(Local, "x")));
        Assert.Contains("not an RSS file-transfer server", protocol.Message);
        other.Stop();
        await accepting;

        var refused = await Assert.ThrowsAsync<RssConnectionException>(() => new RssFileTransferClient("127.0.0.1", port).DownloadAsync(@"C:\x", Path.Combine(Local, "x")));
        Assert.False(refused.ClosedBeforeMessage);
        Assert.Contains("Could not connect", refused.Message);
    }

    [Fact]
    public async Task AGuestPathLongerThanTheAgentTakesIsRefusedBeforeConnecting()
    {
        var original = NewFile(Path.Combine(Local, "l.bin"), 1);
        var ex = await Assert.ThrowsAsync<TransferException>(() => Client().UploadAsync(original, @"C:\" + new string('x', 520)));
        Assert.Contains("511", ex.Message);
        Assert.Equal(0, _server.Connections);
    }

    /// <summary>Reports on the calling thread, in order.</summary>
    private sealed class SyncProgress(List<TransferProgress> into, Action<TransferProgress>? also = null) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value)
        {
            lock (into) into.Add(value);
            also?.Invoke(value);
        }
    }
}
