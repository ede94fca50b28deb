using System.Text.Json.Nodes;
using VirtTest.Core.Backends.Qemu;
using VirtTest.Core.Monitor;

namespace VirtTest.Core.Tests.Backends.Qemu;

public class QmpEventLogTests
{
    private static readonly DateTimeOffset When = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(5);

    [Fact]
    public void Append_NumbersEventsFromOne()
    {
        var log = new QmpEventLog();
        Assert.Equal(0, log.LastSequence);

        var stop = log.Append("STOP", null, When);
        var resume = log.Append("RESUME", new JsonObject { ["x"] = 1 }, When);

        Assert.Equal((1, 2), (stop.Sequence, resume.Sequence));
        Assert.Equal(2, log.LastSequence);
        Assert.Equal(new[] { stop, resume }, log.Snapshot());
    }

    [Fact]
    public void Append_BeyondCapacity_DropsTheOldest()
    {
        var log = new QmpEventLog(capacity: 3);

        for (var i = 0; i < 5; i++) log.Append("E" + i, null, When);

        Assert.Equal(new[] { "E2", "E3", "E4" }, log.Snapshot().Select(e => e.Name));
        Assert.Equal(5, log.LastSequence);
        Assert.Equal(3, log.Count);
    }

    [Fact]
    public async Task Append_FromManyThreads_KeepsSequenceNumbersUniqueAndOrdered()
    {
        var log = new QmpEventLog();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 500; i++) log.Append("E", null, When);
        })));

        Assert.Equal(Enumerable.Range(1, 4000).Select(n => (long)n), log.Snapshot().Select(e => e.Sequence));
    }

    [Fact]
    public async Task Wait_ReturnsTheFirstMatchAfterTheSequence()
    {
        var log = new QmpEventLog();
        log.Append("DEVICE_DELETED", new JsonObject { ["device"] = "a" }, When);
        log.Append("DEVICE_DELETED", new JsonObject { ["device"] = "b" }, When);
        log.Append("DEVICE_DELETED", new JsonObject { ["device"] = "b" }, When);

        var any = await log.WaitForEventAsync("DEVICE_DELETED", timeout: Quick);
        var b = await log.WaitForEventAsync("DEVICE_DELETED", e => e.GetString("device") == "b", timeout: Quick);
        var laterB = await log.WaitForEventAsync("DEVICE_DELETED", e => e.GetString("device") == "b", afterSequence: b.Sequence, timeout: Quick);

        Assert.Equal((1, 2, 3), (any.Sequence, b.Sequence, laterB.Sequence));
    }

    [Fact]
    public async Task Wait_IsWokenByALaterAppend_AndOnlyByAMatchingOne()
    {
        var log = new QmpEventLog();
        var waiting = log.WaitForEventAsync("SHUTDOWN", e => e.GetString("reason") == "host-qmp-quit", timeout: Quick);

        log.Append("STOP", null, When);
        log.Append("SHUTDOWN", new JsonObject { ["reason"] = "guest-reset" }, When);
        Assert.False(waiting.IsCompleted);
        log.Append("SHUTDOWN", new JsonObject { ["reason"] = "host-qmp-quit" }, When);

        Assert.Equal(3, (await waiting).Sequence);
        Assert.Equal(0, log.PendingWaiterCount);
    }

    [Fact]
    public async Task Wait_TimesOutNamingTheEvent_AndForgetsTheWaiter()
    {
        var log = new QmpEventLog();

        var error = await Assert.ThrowsAsync<MonitorTimeoutException>(() => log.WaitForEventAsync("RESUME", timeout: TimeSpan.FromMilliseconds(50)));

        Assert.Contains("'RESUME'", error.Message);
        Assert.Equal(0, log.PendingWaiterCount);
    }

    [Fact]
    public async Task Wait_Cancelled_ThrowsOperationCanceled()
    {
        var log = new QmpEventLog();
        using var cancel = new CancellationTokenSource();
        var waiting = log.WaitForEventAsync("RESUME", timeout: Quick, ct: cancel.Token);

        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, log.PendingWaiterCount);
    }

    [Fact]
    public async Task Wait_WithAThrowingPredicate_FailsThatWaitOnly()
    {
        var log = new QmpEventLog();
        var faulty = log.WaitForEventAsync("STOP", _ => throw new InvalidOperationException("bad predicate"), timeout: Quick);
        var fine = log.WaitForEventAsync("STOP", timeout: Quick);

        log.Append("STOP", null, When);

        await Assert.ThrowsAsync<InvalidOperationException>(() => faulty);
        Assert.Equal(1, (await fine).Sequence);
    }

    [Fact]
    public async Task Close_FailsWaiters_ButPastEventsStayFindable()
    {
        var log = new QmpEventLog();
        log.Append("SHUTDOWN", null, When);
        var waiting = log.WaitForEventAsync("RESUME", timeout: Quick);

        log.Close(new MonitorConnectionException("QEMU died"));

        var error = await Assert.ThrowsAsync<MonitorConnectionException>(() => waiting);
        Assert.Contains("QEMU died", error.Message);
        await Assert.ThrowsAsync<MonitorConnectionException>(() => log.WaitForEventAsync("RESUME", timeout: Quick));
        Assert.Equal(1, (await log.WaitForEventAsync("SHUTDOWN", timeout: Quick)).Sequence);
        Assert.True(log.IsClosed);
    }

    [Theory]
    [InlineData("""{"seconds": 1700000000, "microseconds": 5}""", 1_700_000_000L, 5L)]
    [InlineData("""{"seconds": 0, "microseconds": 999999}""", 0L, 999_999L)]
    public void ParseTimestamp_ReadsSecondsAndMicroseconds(string json, long seconds, long micros)
    {
        var parsed = QmpEvent.ParseTimestamp(JsonNode.Parse(json), When);

        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micros * 10), parsed);
    }

    [Theory]
    [InlineData("""{"seconds": -1, "microseconds": -1}""")]
    [InlineData("""{"seconds": 5}""")]
    [InlineData("""{"seconds": "x", "microseconds": 0}""")]
    [InlineData("""{"seconds": 999999999999999, "microseconds": 0}""")]
    [InlineData("null")]
    public void ParseTimestamp_FallsBackWhenUnusable(string json)
    {
        Assert.Equal(When, QmpEvent.ParseTimestamp(JsonNode.Parse(json), When));
    }
}
