using System.Diagnostics;
using System.Text.Json.Nodes;
using VirtTest.Core.Backends.Qemu;
using VirtTest.Core.Monitor;
using Xunit.Abstractions;

namespace VirtTest.Core.Tests.Backends.Qemu;

/// <summary>The QMP client against a real qemu-system-x86_64 (TCG, paused, no guest).</summary>
[Trait("Category", "Qemu")]
public class QmpClientQemuTests
{
    private readonly ITestOutputHelper _output;

    public QmpClientQemuTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task Greeting_ReportsTheQemuVersion()
    {
        await using var qemu = await QemuUnderTest.StartAsync(_output);

        var greeting = qemu.Client.Greeting;
        var version = await qemu.Client.ExecuteAsync("query-version");

        Assert.True(greeting.Major >= 7, greeting.ToString());
        Assert.Equal(greeting.Major, (int)version!["qemu"]!["major"]!);
        Assert.Equal(greeting.Minor, (int)version["qemu"]!["minor"]!);
        Assert.Equal(greeting.Micro, (int)version["qemu"]!["micro"]!);
        Assert.Equal(greeting.Package, ((string?)version["package"])?.Trim());
    }

    [Fact]
    public async Task QueryStatus_OfAQemuStartedWithS_IsPrelaunch()
    {
        await using var qemu = await QemuUnderTest.StartAsync(_output);

        var status = await qemu.Client.ExecuteAsync("query-status");

        Assert.Equal("prelaunch", (string?)status!["status"]);
        Assert.False((bool)status["running"]!);
    }

    [Fact]
    public async Task ContAndStop_ProduceResumeAndStopEvents()
    {
        await using var qemu = await QemuUnderTest.StartAsync(_output);
        var mark = qemu.Client.Events.LastSequence;

        await qemu.Client.ExecuteAsync("cont");
        var resume = await qemu.Client.WaitForEventAsync("RESUME", afterSequence: mark);
        Assert.True((bool)(await qemu.Client.ExecuteAsync("query-status"))!["running"]!);
        await qemu.Client.ExecuteAsync("stop");
        var stop = await qemu.Client.WaitForEventAsync("STOP", afterSequence: resume.Sequence);

        Assert.True(stop.Sequence > resume.Sequence);
        Assert.True(stop.Timestamp >= resume.Timestamp);
        Assert.InRange(resume.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Equal("paused", (string?)(await qemu.Client.ExecuteAsync("query-status"))!["status"]);
    }

    [Fact]
    public async Task HumanMonitorCommand_InfoPci_ReturnsText()
    {
        await using var qemu = await QemuUnderTest.StartAsync(_output);

        var text = await qemu.Client.HumanMonitorCommandAsync("info pci");

        Assert.Contains("Bus  0", text);
        Assert.Contains("Host bridge", text);
    }

    [Fact]
    public async Task DeviceAdd_WithAnUnknownDriver_ThrowsGenericError()
    {
        await using var qemu = await QemuUnderTest.StartAsync(_output);

        var error = await Assert.ThrowsAsync<MonitorCommandException>(() =>
            qemu.Client.ExecuteAsync("device_add", new JsonObject { ["driver"] = "no-such-device", ["id"] = "x1" }));

        Assert.Equal("device_add", error.Command);
        Assert.Equal("GenericError", error.ErrorClass);
        Assert.Contains("no-such-device", error.Description);
        Assert.True(qemu.Client.IsConnected);
    }

    [Fact]
    public async Task UnknownCommand_ThrowsCommandNotFound()
    {
        await using var qemu = await QemuUnderTest.StartAsync(_output);

        var error = await Assert.ThrowsAsync<MonitorCommandException>(() => qemu.Client.ExecuteAsync("no-such-command"));

        Assert.Equal("CommandNotFound", error.ErrorClass);
    }

    [Fact]
    public async Task QueryPci_ListsBusZeroWithItsDevices()
    {
        await using var qemu = await QemuUnderTest.StartAsync(_output);

        var buses = (await qemu.Client.ExecuteAsync("query-pci"))!.AsArray();

        var bus0 = buses.Single(b => (int)b!["bus"]! == 0)!;
        var classes = bus0["devices"]!.AsArray().Select(d => (string?)d!["class_info"]!["desc"]).ToList();
        Assert.Contains("Host bridge", classes);
    }

    [Fact]
    public async Task LargeReply_QueryQmpSchema_ArrivesWhole()
    {
        await using var qemu = await QemuUnderTest.StartAsync(_output);
        qemu.Client.Trace = null; // the schema is one line of a few hundred KB

        var schema = (await qemu.Client.ExecuteAsync("query-qmp-schema"))!.AsArray();

        Assert.Contains(schema, entry => (string?)entry!["name"] == "query-status");
    }

    [Fact]
    public async Task ConcurrentCommands_AllGetTheirOwnReplies()
    {
        await using var qemu = await QemuUnderTest.StartAsync(_output);

        var calls = Enumerable.Range(0, 20).Select(i => i % 2 == 0
            ? qemu.Client.ExecuteAsync("query-status")
            : qemu.Client.ExecuteAsync("query-name")).ToArray();
        var results = await Task.WhenAll(calls);

        for (var i = 0; i < results.Length; i++)
            Assert.Equal(i % 2 == 0, results[i]!.AsObject().ContainsKey("status"));
    }

    [Fact]
    public async Task KillingQemu_FailsPendingAndLaterCallsWithAConnectionError()
    {
        await using var qemu = await QemuUnderTest.StartAsync(_output);
        var waiting = qemu.Client.WaitForEventAsync("SHUTDOWN", timeout: TimeSpan.FromSeconds(10));
        qemu.Freeze();
        var pending = qemu.Client.ExecuteAsync("query-status", timeout: TimeSpan.FromSeconds(10));
        Assert.False(pending.IsCompleted);
        var clock = Stopwatch.StartNew();

        qemu.Kill();

        var error = await Assert.ThrowsAsync<MonitorConnectionException>(() => pending);
        Assert.Contains("qmp.sock", error.Message);
        await Assert.ThrowsAsync<MonitorConnectionException>(() => waiting);
        await Assert.ThrowsAsync<MonitorConnectionException>(() => qemu.Client.ExecuteAsync("query-status"));
        Assert.False(qemu.Client.IsConnected);
        Assert.True(qemu.Client.Closed.IsCompleted);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task KillingQemu_DuringACommandStorm_NeverHangsACaller()
    {
        await using var qemu = await QemuUnderTest.StartAsync(_output);
        var calls = Enumerable.Range(0, 50).Select(_ => qemu.Client.ExecuteAsync("query-status", timeout: TimeSpan.FromSeconds(10))).ToList();

        qemu.Kill();

        // Each call either got its answer before QEMU died or fails with a connection error; none hangs.
        var finished = await Task.WhenAll(calls.Select(async call =>
        {
            try
            {
                await call;
                return "answered";
            }
            catch (MonitorConnectionException)
            {
                return "connection closed";
            }
        })).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(50, finished.Length);
        await Assert.ThrowsAsync<MonitorConnectionException>(() => qemu.Client.ExecuteAsync("query-status"));
    }
}
