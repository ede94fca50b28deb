using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using VirtTest.Core.Backends.Qemu;
using VirtTest.Core.Monitor;

namespace VirtTest.Core.Tests.Backends.Qemu;

/// <summary>
/// Commands read their own replies while they wait and a background pump reads only while none
/// waits: events must still be logged once each, in order, whoever read them.
/// </summary>
public class QmpClientInlineReadingTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task EventsReadByWaitingCommands_AreLoggedOnceInOrder_AndRaisedOnce()
    {
        await using var c = await FakeQmpConnection.OpenAsync();
        var raised = new ConcurrentQueue<string>();
        c.Client.EventReceived += (_, e) => raised.Enqueue(e.Name);
        var waitingForLast = c.Client.WaitForEventAsync("E4", timeout: Quick); // before any event: woken by a command's read

        var first = c.Client.ExecuteAsync("one");
        var second = c.Client.ExecuteAsync("two");
        var sentFirst = await c.Peer.ReceiveAsync();
        var sentSecond = await c.Peer.ReceiveAsync();
        await c.Peer.SendEventAsync("E1");
        await c.Peer.ReturnAsync(sentSecond, "2");  // the later command's reply first
        await c.Peer.SendEventAsync("E2");
        await c.Peer.SendEventAsync("E3");
        await c.Peer.ReturnAsync(sentFirst, "1");
        await c.Peer.SendEventAsync("E4");

        Assert.Equal(1, (int)(await first)!);
        Assert.Equal(2, (int)(await second)!);
        Assert.Equal(4, (await waitingForLast).Sequence);
        Assert.Equal(new[] { "E1", "E2", "E3", "E4" }, c.Client.Events.Snapshot().Select(e => e.Name));
        Assert.Equal(new[] { "E1", "E2", "E3", "E4" }, raised);
        Assert.Equal(0, c.Client.IgnoredLineCount);
    }

    [Fact]
    public async Task AfterTheLastCommand_TheBackgroundReaderCollectsEventsAndNoticesTheEnd()
    {
        await using var c = await FakeQmpConnection.OpenAsync();
        for (var i = 0; i < 3; i++)
        {
            var call = c.Client.ExecuteAsync("query-status");
            await c.Peer.ReturnAsync(await c.Peer.ReceiveAsync(), "{}");
            await call;
        }

        await c.Peer.SendEventAsync("SHUTDOWN", """{"guest": true}""");
        var shutdown = await c.Client.WaitForEventAsync("SHUTDOWN", timeout: Quick);
        Assert.True((bool)shutdown.Data!["guest"]!);

        c.Peer.CloseConnection();
        var clock = Stopwatch.StartNew();
        await c.Client.Closed.WaitAsync(Quick);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), "took " + clock.Elapsed);
        Assert.False(c.Client.IsConnected);
        await Assert.ThrowsAsync<MonitorConnectionException>(() => c.Client.ExecuteAsync("query-status"));
    }

    [Fact]
    public async Task QemuDyingWhileACommandReadsInline_FailsItWithAConnectionErrorQuickly()
    {
        await using var c = await FakeQmpConnection.OpenAsync();
        var call = c.Client.ExecuteAsync("stop", timeout: TimeSpan.FromSeconds(30));
        await c.Peer.ReceiveCommandAsync("stop");
        await c.Peer.SendEventAsync("STOP");

        var clock = Stopwatch.StartNew();
        c.Peer.CloseConnection();
        var error = await Assert.ThrowsAsync<MonitorConnectionException>(() => call);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), "took " + clock.Elapsed);
        Assert.Contains("closed by QEMU", error.Message);
        Assert.Equal(new[] { "STOP" }, c.Client.Events.Snapshot().Select(e => e.Name)); // read before the end
    }

    [Fact]
    public async Task ACommandThatTimesOutWhileReading_LeavesTheReadingToOthers()
    {
        await using var c = await FakeQmpConnection.OpenAsync();
        var abandoned = c.Client.ExecuteAsync("slow", timeout: TimeSpan.FromMilliseconds(200));
        var sentSlow = await c.Peer.ReceiveCommandAsync("slow");
        await Assert.ThrowsAsync<MonitorTimeoutException>(() => abandoned);

        // Its late reply and an event are read by the pump; the next command gets its own reply.
        await c.Peer.ReturnAsync(sentSlow, "{}");
        await c.Peer.SendEventAsync("LATE");
        await c.Client.WaitForEventAsync("LATE", timeout: Quick);
        var next = c.Client.ExecuteAsync("query-status");
        await c.Peer.ReturnAsync(await c.Peer.ReceiveCommandAsync("query-status"), """{"running": true}""");
        Assert.True((bool)(await next)!["running"]!);
        Assert.Equal(1, c.Client.IgnoredLineCount);
    }

    [Fact]
    public async Task ConcurrentCallersWithEventsInBetween_EachGetTheirOwnReply()
    {
        await using var c = await FakeQmpConnection.OpenAsync();
        const int callers = 32;
        var calls = Enumerable.Range(0, callers)
            .Select(n => Task.Run(() => c.Client.ExecuteAsync("echo", new JsonObject { ["n"] = n })))
            .ToArray();
        var received = new List<JsonObject>();
        for (var i = 0; i < callers; i++) received.Add(await c.Peer.ReceiveAsync());
        var e = 0;
        foreach (var command in received.OrderBy(_ => Random.Shared.Next()))
        {
            await c.Peer.SendEventAsync("TICK", $$"""{"n": {{e++}}}""");
            await c.Peer.ReturnAsync(command, command["arguments"]!["n"]!.ToJsonString());
        }

        Assert.Equal(Enumerable.Range(0, callers), (await Task.WhenAll(calls)).Select(r => (int)r!));
        await c.Client.WaitForEventAsync("TICK", ev => (int)ev.Data!["n"]! == callers - 1, timeout: Quick);
        Assert.Equal(Enumerable.Range(0, callers).Select(n => (long)n), c.Client.Events.Snapshot().Select(ev => (long)(int)ev.Data!["n"]!));
    }
}
