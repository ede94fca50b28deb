using System.Text.RegularExpressions;
using VirtTest.Core.Session;
using Xunit;

namespace VirtTest.Core.Tests.Session;

public sealed class ExpectBufferTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task AWaitCompletesWhenItsPatternArrivesInALaterChunk_AndConsumesUpToTheMatch()
    {
        var b = new ExpectBuffer("t");
        var wait = b.ReadUntilAsync(new Regex(@"VT(\d+)E\n"), Quick, default);
        foreach (var chunk in new[] { "out", "put\nV", "T4", "2E", "\nrest" }) b.Append(chunk);

        var r = await wait;
        Assert.Equal("output\n", r.Before);
        Assert.Equal("42", r.Groups[0]);
        Assert.Equal("rest", b.Peek());
        Assert.Equal("output\nVT42E\n".Length, b.ReadPosition);
    }

    [Fact]
    public async Task AMatchEndingMidLineWhereTheTextEndsWaitsForTheRestOfTheLine()
    {
        var b = new ExpectBuffer("t");
        var wait = b.ReadUntilAsync(new Regex(@"^rc=(\d+)$", RegexOptions.Multiline), Quick, default);
        b.Append("rc=13");                  // "$" matches here, but the line is not complete
        await Task.Delay(5);
        b.Append("0\r\n");
        Assert.Equal("130", (await wait).Groups[0]);

        // With nothing more coming, the mid-line match counts after a short settle time.
        var prompt = b.ReadUntilAsync(new Regex(@"Password: $"), Quick, default);
        b.Append("Password: ");
        Assert.Equal("Password: ", (await prompt.WaitAsync(TimeSpan.FromSeconds(2))).Match);
    }

    [Fact]
    public async Task ReportsCursorQueriesAtTheirPositionInTheCleanedText_AlsoWhenSplitAcrossChunks()
    {
        var b = new ExpectBuffer("t");
        var queries = new List<(long Position, string Readable)>();
        b.CursorPositionQueried = p => queries.Add((p, b.Peek()));

        b.Append("a\r\n[vm]# \u001b[");   // the query is cut in two
        Assert.Empty(queries);
        b.Append("6nls\r\n[vm]# \u001b[6n");

        Assert.Equal(new long[] { "a\n[vm]# ".Length, "a\n[vm]# ls\n[vm]# ".Length }, queries.Select(q => q.Position));
        Assert.Equal("a\n[vm]# ls\n[vm]# ", b.Peek()); // no trace of the query in the text
        Assert.StartsWith("a\n[vm]# ", queries[0].Readable); // the text before a query is readable when it is reported
        await b.ReadUntilAsync(new Regex("ls\n"), Quick, default);
        Assert.Equal("a\n[vm]# ls\n".Length, b.ReadPosition);
    }

    [Fact]
    public async Task PositionsStayAbsoluteWhenConsumedTextIsDropped()
    {
        var b = new ExpectBuffer("t");
        var big = new string('x', 70_000);
        b.Append(big + "END\n");
        await b.ReadUntilAsync(new Regex("END\n"), Quick, default); // past the compaction threshold
        long? query = null;
        b.CursorPositionQueried = p => query = p;
        b.Append("# \u001b[6n");

        Assert.Equal(big.Length + 4L, b.ReadPosition);
        Assert.Equal(big.Length + 4L + 2, query);
    }

    [Fact]
    public async Task ATimedOutWaitReportsTheTextAndLosesNothing()
    {
        var b = new ExpectBuffer("t");
        b.Append("partial");
        var error = await Assert.ThrowsAsync<SessionTimeoutException>(() => b.ReadUntilAsync(new Regex("never"), TimeSpan.FromMilliseconds(100), default));
        Assert.Contains("partial", error.Message);
        b.Append(" line\n");
        Assert.Equal("partial line\n", (await b.ReadUntilAsync(new Regex("\n"), Quick, default)).Before + "\n");
    }

    [Fact]
    public async Task CancellingAWaitThrowsAndAClosedStreamFailsTheWaiter()
    {
        var b = new ExpectBuffer("t");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b.ReadUntilAsync(new Regex("never"), Quick, cts.Token));

        var waiting = b.ReadUntilAsync(new Regex("never"), Quick, default);
        b.Append("last words");
        b.Close(new IOException("console closed"));
        var error = await Assert.ThrowsAsync<SessionClosedException>(() => waiting);
        Assert.Contains("console closed", error.Message);
        Assert.Contains("last words", error.Message);
    }
}
