using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using VirtTest.Core.Backends.Qemu;
using VirtTest.Core.Monitor;

namespace VirtTest.Core.Tests.Backends.Qemu;

/// <summary>The QMP client against a scripted fake server on a real Unix socket.</summary>
public class QmpClientTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Connect_ReadsTheGreetingAndNegotiatesCapabilities()
    {
        await using var c = await FakeQmpConnection.OpenAsync();

        Assert.Equal((7, 2, 3), (c.Client.Greeting.Major, c.Client.Greeting.Minor, c.Client.Greeting.Micro));
        Assert.Equal("fake-qemu 1.0", c.Client.Greeting.Package);
        Assert.Equal(new[] { "oob" }, c.Client.Greeting.Capabilities);
        Assert.Equal(new Version(7, 2, 3), c.Client.Greeting.Version);
        Assert.Equal("qmp_capabilities", (string?)c.CapabilitiesCommand["execute"]);
        Assert.False(c.CapabilitiesCommand.ContainsKey("arguments")); // no optional capability is enabled
        Assert.NotNull(c.CapabilitiesCommand["id"]);
        Assert.True(c.Client.IsConnected);
        Assert.Equal(c.Peer.SocketPath, c.Client.Endpoint);
    }

    [Fact]
    public async Task Connect_RetriesUntilTheSocketAppears()
    {
        using var dir = new SocketTempDir();
        var path = dir.File("qmp.sock");
        var connecting = QmpClient.ConnectAsync(path, Quick);
        await Task.Delay(150);
        Assert.False(connecting.IsCompleted);

        await using var peer = FakeQmpPeer.Listen(path);
        await peer.AcceptAsync();
        await peer.SendLineAsync(FakeQmpPeer.Greeting);
        await peer.ReturnAsync(await peer.ReceiveCommandAsync("qmp_capabilities"), "{}");
        await using var client = await connecting;

        Assert.True(client.IsConnected);
    }

    [Fact]
    public async Task Connect_ToAMissingSocket_FailsAfterTheTimeoutNamingThePath()
    {
        using var dir = new SocketTempDir();
        var path = dir.File("never.sock");
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<MonitorConnectionException>(() => QmpClient.ConnectAsync(path, TimeSpan.FromMilliseconds(300)));

        Assert.Contains(path, error.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Connect_ToSomethingThatIsNotQmp_FailsWithAConnectionError()
    {
        using var dir = new SocketTempDir();
        await using var peer = FakeQmpPeer.Listen(dir.File("qmp.sock"));
        var connecting = QmpClient.ConnectAsync(peer.SocketPath, Quick);
        await peer.AcceptAsync();
        await peer.SendLineAsync("""{"hello": "I am a guest agent"}""");

        var error = await Assert.ThrowsAsync<MonitorConnectionException>(() => connecting);
        Assert.Contains("not a QMP server", error.Message);
    }

    [Fact]
    public async Task Connect_WithoutAGreeting_TimesOut()
    {
        using var dir = new SocketTempDir();
        await using var peer = FakeQmpPeer.Listen(dir.File("qmp.sock"));
        var connecting = QmpClient.ConnectAsync(peer.SocketPath, TimeSpan.FromMilliseconds(300));
        await peer.AcceptAsync();

        var error = await Assert.ThrowsAsync<MonitorTimeoutException>(() => connecting);
        Assert.Contains("greeting", error.Message);
    }

    [Fact]
    public async Task Connect_OverAConnectedStream_Works()
    {
        using var dir = new SocketTempDir();
        await using var peer = FakeQmpPeer.Listen(dir.File("qmp.sock"));
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(peer.SocketPath));
        await peer.AcceptAsync();

        var connecting = QmpClient.ConnectAsync(new NetworkStream(socket, ownsSocket: true), Quick, endpoint: "test transport");
        await peer.SendLineAsync("""{"QMP": {"version": {"qemu": {"micro": 0, "minor": 0, "major": 8}, "package": ""}, "capabilities": []}}""");
        await peer.ReturnAsync(await peer.ReceiveCommandAsync("qmp_capabilities"), "{}");
        await using var client = await connecting;

        Assert.Equal(8, client.Greeting.Major);
        Assert.Equal("", client.Greeting.Package);
        Assert.Empty(client.Greeting.Capabilities);
        Assert.Equal("test transport", client.Endpoint);
    }

    [Fact]
    public async Task Execute_SendsTheArgumentsAndReturnsTheReturnValue()
    {
        await using var c = await FakeQmpConnection.OpenAsync();
        var arguments = new JsonObject { ["driver"] = "e1000", ["id"] = "nic1" };

        var call = c.Client.ExecuteAsync("device_add", arguments);
        var sent = await c.Peer.ReceiveCommandAsync("device_add");
        await c.Peer.ReturnAsync(sent, """{"answer": 42}""");
        var result = await call;

        Assert.Equal("e1000", (string?)sent["arguments"]!["driver"]);
        Assert.Equal("nic1", (string?)sent["arguments"]!["id"]);
        Assert.Equal(42, (int)result!["answer"]!);
        Assert.Null(result.Parent); // detached: callers may reuse it
        Assert.Equal(2, arguments.Count); // the caller's arguments are left alone
    }

    [Fact]
    public async Task Execute_GivesEachCommandAUniqueId()
    {
        await using var c = await FakeQmpConnection.OpenAsync();

        var first = c.Client.ExecuteAsync("query-status");
        var second = c.Client.ExecuteAsync("query-status");
        var a = await c.Peer.ReceiveAsync();
        var b = await c.Peer.ReceiveAsync();
        await c.Peer.ReturnAsync(a, "1");
        await c.Peer.ReturnAsync(b, "2");
        await Task.WhenAll(first, second);

        Assert.NotEqual(a["id"]!.ToJsonString(), b["id"]!.ToJsonString());
        Assert.NotEqual(c.CapabilitiesCommand["id"]!.ToJsonString(), a["id"]!.ToJsonString());
    }

    [Fact]
    public async Task Execute_MatchesRepliesThatArriveOutOfOrder()
    {
        await using var c = await FakeQmpConnection.OpenAsync();

        var first = c.Client.ExecuteAsync("first");
        var second = c.Client.ExecuteAsync("second");
        var commands = new[] { await c.Peer.ReceiveAsync(), await c.Peer.ReceiveAsync() };
        foreach (var command in new[] { commands[1], commands[0] })
            await c.Peer.ReturnAsync(command, $"\"{(string?)command["execute"]}-result\"");

        Assert.Equal("first-result", (string?)await first);
        Assert.Equal("second-result", (string?)await second);
    }

    [Fact]
    public async Task Execute_ServesManyConcurrentCallers()
    {
        await using var c = await FakeQmpConnection.OpenAsync();
        const int callers = 64;

        var calls = Enumerable.Range(0, callers)
            .Select(n => Task.Run(() => c.Client.ExecuteAsync("echo", new JsonObject { ["n"] = n })))
            .ToArray();
        var received = new List<JsonObject>();
        for (var i = 0; i < callers; i++) received.Add(await c.Peer.ReceiveAsync());
        foreach (var command in received.OrderBy(_ => Random.Shared.Next()))
            await c.Peer.ReturnAsync(command, command["arguments"]!["n"]!.ToJsonString());
        var results = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, callers), results.Select(r => (int)r!));
    }

    [Fact]
    public async Task Execute_ErrorReply_ThrowsMonitorCommandExceptionWithClassAndDescription()
    {
        await using var c = await FakeQmpConnection.OpenAsync();

        var call = c.Client.ExecuteAsync("device_add", new JsonObject { ["driver"] = "nonexistent" });
        await c.Peer.FailAsync(await c.Peer.ReceiveAsync(), "GenericError", "'nonexistent' is not a valid device model name");

        var error = await Assert.ThrowsAsync<MonitorCommandException>(() => call);
        Assert.Equal("device_add", error.Command);
        Assert.Equal("GenericError", error.ErrorClass);
        Assert.Equal("'nonexistent' is not a valid device model name", error.Description);
        Assert.True(c.Client.IsConnected); // a command error leaves the connection usable
    }

    [Fact]
    public async Task HumanMonitorCommand_SendsTheCommandLineAndReturnsTheText()
    {
        await using var c = await FakeQmpConnection.OpenAsync();

        var call = c.Client.HumanMonitorCommandAsync("info pci");
        var sent = await c.Peer.ReceiveCommandAsync("human-monitor-command");
        await c.Peer.ReturnAsync(sent, "\"  Bus  0, device   0, function 0:\\r\\n\"");

        Assert.Equal("info pci", (string?)sent["arguments"]!["command-line"]);
        Assert.Equal("  Bus  0, device   0, function 0:\r\n", await call);
    }

    [Fact]
    public async Task Events_InterleavedWithReplies_GoToTheLogInOrder()
    {
        await using var c = await FakeQmpConnection.OpenAsync();
        var raised = new ConcurrentQueue<QmpEvent>();
        c.Client.EventReceived += (_, e) => raised.Enqueue(e);

        var call = c.Client.ExecuteAsync("cont");
        var sent = await c.Peer.ReceiveAsync();
        await c.Peer.SendEventAsync("RESUME", seconds: 1_700_000_000, microseconds: 123_456);
        await c.Peer.ReturnAsync(sent, "{}");
        await c.Peer.SendEventAsync("DEVICE_DELETED", """{"device": "nic1", "path": "/machine/peripheral/nic1"}""");
        await call;
        await c.Client.WaitForEventAsync("DEVICE_DELETED", timeout: Quick);

        var events = c.Client.Events.Snapshot();
        Assert.Equal(new[] { "RESUME", "DEVICE_DELETED" }, events.Select(e => e.Name));
        Assert.Equal(new long[] { 1, 2 }, events.Select(e => e.Sequence));
        Assert.Equal(2, c.Client.Events.LastSequence);
        Assert.Null(events[0].Data);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1_234_560), events[0].Timestamp);
        Assert.Equal("nic1", events[1].GetString("device"));
        Assert.Equal(events.Select(e => e.Sequence), raised.Select(e => e.Sequence));
    }

    [Fact]
    public async Task WaitForEvent_FindsAnEventThatAlreadyArrived()
    {
        await using var c = await FakeQmpConnection.OpenAsync();
        await c.Peer.SendEventAsync("STOP");
        await c.Client.WaitForEventAsync("STOP", timeout: Quick);

        var stop = await c.Client.WaitForEventAsync("STOP", timeout: TimeSpan.FromMilliseconds(1));

        Assert.Equal(1, stop.Sequence);
    }

    [Fact]
    public async Task WaitForEvent_WaitsForAFutureEventAfterTheGivenSequence()
    {
        await using var c = await FakeQmpConnection.OpenAsync();
        await c.Peer.SendEventAsync("DEVICE_DELETED", """{"device": "old"}""");
        await c.Client.WaitForEventAsync("DEVICE_DELETED", timeout: Quick);
        var mark = c.Client.Events.LastSequence;

        var waiting = c.Client.WaitForEventAsync("DEVICE_DELETED", e => e.GetString("device") == "nic1", afterSequence: mark, timeout: Quick);
        await c.Peer.SendEventAsync("DEVICE_DELETED", """{"device": "other"}""");
        await c.Peer.SendEventAsync("DEVICE_DELETED", """{"device": "nic1"}""");
        var deleted = await waiting;

        Assert.Equal("nic1", deleted.GetString("device"));
        Assert.Equal(3, deleted.Sequence);
    }

    [Fact]
    public async Task WaitForEvent_TimesOutNamingTheEvent()
    {
        await using var c = await FakeQmpConnection.OpenAsync();

        var error = await Assert.ThrowsAsync<MonitorTimeoutException>(() => c.Client.WaitForEventAsync("SHUTDOWN", timeout: TimeSpan.FromMilliseconds(100)));

        Assert.Contains("SHUTDOWN", error.Message);
        Assert.Equal(0, c.Client.Events.PendingWaiterCount);
    }

    [Fact]
    public async Task WaitForEvent_FailsWhenTheConnectionCloses()
    {
        await using var c = await FakeQmpConnection.OpenAsync();
        var waiting = c.Client.WaitForEventAsync("SHUTDOWN", timeout: Quick);

        c.Peer.CloseConnection();

        await Assert.ThrowsAsync<MonitorConnectionException>(() => waiting);
        await Assert.ThrowsAsync<MonitorConnectionException>(() => c.Client.WaitForEventAsync("SHUTDOWN", timeout: Quick));
    }

    [Fact]
    public async Task WaitForEvent_AfterClose_StillFindsEventsThatArrivedBefore()
    {
        await using var c = await FakeQmpConnection.OpenAsync();
        await c.Peer.SendEventAsync("SHUTDOWN", """{"guest": true, "reason": "guest-shutdown"}""");
        c.Peer.CloseConnection();
        await c.Client.Closed.WaitAsync(Quick);

        var shutdown = await c.Client.WaitForEventAsync("SHUTDOWN", timeout: Quick);

        Assert.Equal("guest-shutdown", shutdown.GetString("reason"));
    }

    [Fact]
    public async Task Execute_WithoutAReply_TimesOutNamingTheCommand_AndALateReplyIsIgnored()
    {
        var trace = new ConcurrentQueue<string>();
        await using var c = await FakeQmpConnection.OpenAsync(trace.Enqueue);

        var error = await Assert.ThrowsAsync<MonitorTimeoutException>(() => c.Client.ExecuteAsync("query-status", timeout: TimeSpan.FromMilliseconds(100)));
        Assert.Contains("'query-status'", error.Message);
        Assert.Equal(TimeSpan.FromMilliseconds(100), error.Timeout);

        await c.Peer.ReturnAsync(await c.Peer.ReceiveAsync(), "{}"); // too late
        var next = c.Client.ExecuteAsync("query-name");
        await c.Peer.ReturnAsync(await c.Peer.ReceiveCommandAsync("query-name"), """{"name": "vm1"}""");

        Assert.Equal("vm1", (string?)(await next)!["name"]);
        Assert.Equal(1, c.Client.IgnoredLineCount);
        Assert.Contains(trace, line => line.StartsWith("!! ignored") && line.Contains("nobody waits"));
    }

    [Fact]
    public async Task Execute_UsesTheDefaultTimeout()
    {
        await using var c = await FakeQmpConnection.OpenAsync();
        c.Client.DefaultTimeout = TimeSpan.FromMilliseconds(100);

        var error = await Assert.ThrowsAsync<MonitorTimeoutException>(() => c.Client.ExecuteAsync("query-status"));

        Assert.Equal(TimeSpan.FromMilliseconds(100), error.Timeout);
    }

    [Fact]
    public async Task Execute_Cancelled_ThrowsOperationCanceled_AndTheClientStaysUsable()
    {
        await using var c = await FakeQmpConnection.OpenAsync();
        using var cancel = new CancellationTokenSource();

        var call = c.Client.ExecuteAsync("query-status", ct: cancel.Token);
        await c.Peer.ReceiveAsync();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => c.Client.ExecuteAsync("query-status", ct: cancel.Token));
        var next = c.Client.ExecuteAsync("query-name");
        await c.Peer.ReturnAsync(await c.Peer.ReceiveCommandAsync("query-name"), "{}");
        await next;
        Assert.True(c.Client.IsConnected);
    }

    [Fact]
    public async Task PeerClosingMidCall_FailsPendingAndLaterCallsQuickly()
    {
        await using var c = await FakeQmpConnection.OpenAsync();
        var pending = new[] { c.Client.ExecuteAsync("a", timeout: Quick), c.Client.ExecuteAsync("b", timeout: Quick) };
        await c.Peer.ReceiveAsync();
        await c.Peer.ReceiveAsync();
        var clock = Stopwatch.StartNew();

        c.Peer.CloseConnection();

        foreach (var call in pending)
        {
            var error = await Assert.ThrowsAsync<MonitorConnectionException>(() => call);
            Assert.Contains(c.Peer.SocketPath, error.Message);
        }
        await Assert.ThrowsAsync<MonitorConnectionException>(() => c.Client.ExecuteAsync("c"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
        Assert.False(c.Client.IsConnected);
        await c.Client.Closed.WaitAsync(TimeSpan.FromSeconds(2));   // completes asynchronously, right after the failure
        Assert.True(c.Client.Closed.IsCompletedSuccessfully);
        Assert.IsType<MonitorConnectionException>(c.Client.CloseReason);
    }

    [Fact]
    public async Task GarbageLines_AreTracedCountedAndSkipped_AndTheClientKeepsWorking()
    {
        var trace = new ConcurrentQueue<string>();
        await using var c = await FakeQmpConnection.OpenAsync(trace.Enqueue);

        var call = c.Client.ExecuteAsync("query-status");
        var sent = await c.Peer.ReceiveAsync();
        await c.Peer.SendLineAsync("this is not JSON {");
        await c.Peer.SendLineAsync("[1, 2, 3]");
        await c.Peer.SendLineAsync("");
        await c.Peer.ReturnAsync(sent, """{"status": "running"}""");

        Assert.Equal("running", (string?)(await call)!["status"]);
        Assert.Equal(2, c.Client.IgnoredLineCount);
        Assert.Contains(trace, line => line.StartsWith("!! ignored") && line.Contains("this is not JSON {"));
        Assert.Contains(trace, line => line.StartsWith("!! ignored") && line.Contains("not a JSON object"));
        Assert.True(c.Client.IsConnected);
    }

    [Fact]
    public async Task Trace_SeesEachLineSentAndReceived()
    {
        var trace = new ConcurrentQueue<string>();
        await using var c = await FakeQmpConnection.OpenAsync(trace.Enqueue);

        Assert.Equal("<- " + FakeQmpPeer.Greeting, trace.First());
        Assert.Contains(trace, line => line.StartsWith("-> ") && line.Contains("\"qmp_capabilities\""));
        Assert.Contains(trace, line => line.StartsWith("<- {\"return\": {}"));
    }

    [Fact]
    public async Task ThrowingSubscribers_DoNotStopTheReader()
    {
        await using var c = await FakeQmpConnection.OpenAsync(_ => throw new InvalidOperationException("trace broke"));
        c.Client.EventReceived += (_, _) => throw new InvalidOperationException("handler broke");

        await c.Peer.SendEventAsync("STOP");
        await c.Client.WaitForEventAsync("STOP", timeout: Quick);
        var call = c.Client.ExecuteAsync("query-status");
        await c.Peer.ReturnAsync(await c.Peer.ReceiveAsync(), "{}");

        await call;
    }

    [Fact]
    public async Task Dispose_FailsPendingCalls_IsIdempotent_AndRefusesLaterCalls()
    {
        await using var c = await FakeQmpConnection.OpenAsync();
        var pending = c.Client.ExecuteAsync("query-status", timeout: Quick);
        var waiting = c.Client.WaitForEventAsync("STOP", timeout: Quick);
        await c.Peer.ReceiveAsync();

        await c.Client.DisposeAsync();
        await c.Client.DisposeAsync();
        c.Client.Dispose();

        await Assert.ThrowsAsync<MonitorConnectionException>(() => pending);
        await Assert.ThrowsAsync<MonitorConnectionException>(() => waiting);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => c.Client.ExecuteAsync("query-status"));
        Assert.False(c.Client.IsConnected);
        Assert.True(c.Client.Closed.IsCompleted);
        await Assert.ThrowsAnyAsync<Exception>(() => c.Peer.ReceiveAsync()); // the peer sees the hang-up
    }
}
