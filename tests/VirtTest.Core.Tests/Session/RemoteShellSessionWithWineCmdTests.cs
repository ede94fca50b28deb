using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using VirtTest.Core.Session;
using VirtTest.TestServers;
using Xunit;

namespace VirtTest.Core.Tests.Session;

/// <summary>One Wine prefix and the agent's shell port in front of its cmd.exe, for the class.</summary>
public sealed class WineCmdFixture : IAsyncLifetime
{
    public WineCmdRelay Relay { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Relay = await WineCmdRelay.CreateAsync();
        Relay.Listen();
    }

    public async Task DisposeAsync()
    {
        if (Relay is not null) await Relay.DisposeAsync();
    }
}

/// <summary>
/// The remote shell session and the cmd dialect against a real cmd.exe (Wine's), behind a
/// relay that behaves like the Windows guest agent's shell port (greeting, no echo, Ctrl+C
/// to the running program, everything killed on disconnect).
/// </summary>
[Trait("Category", "Wine")]
public sealed class RemoteShellSessionWithWineCmdTests : IClassFixture<WineCmdFixture>
{
    private static readonly TimeSpan T = TimeSpan.FromSeconds(30);
    private readonly WineCmdRelay _relay;

    public RemoteShellSessionWithWineCmdTests(WineCmdFixture fixture) => _relay = fixture.Relay;

    private Task<RemoteShellSession> ConnectAsync(int? port = null, TimeSpan? timeout = null) =>
        RemoteShellSession.ConnectAsync(new RemoteShellOptions { Host = "127.0.0.1", Port = port ?? _relay.Port }, timeout ?? T);

    [Fact]
    public async Task TheSessionWaitsThroughTheGreetingForTheCmdPrompt()
    {
        await using var s = await ConnectAsync();
        Assert.Equal(SessionTransport.Rss, s.Transport);
        Assert.Same(ShellDialect.Cmd, s.Dialect);
        Assert.Equal($"rss 127.0.0.1:{_relay.Port}", s.Name);
        Assert.True(s.IsOpen);
        Assert.Equal("C:\\\n", await s.CmdAsync("cd", T));
    }

    [Fact]
    public async Task CommandsReturnTheirOutputAndExitCode()
    {
        await using var s = await ConnectAsync();
        var hello = await s.CmdStatusOutputAsync("echo hello", T);
        Assert.Equal(0, hello.ExitCode);
        Assert.Equal("hello\n", hello.Output);

        var three = await s.CmdStatusOutputAsync("cmd /c exit 3", T);
        Assert.Equal(3, three.ExitCode);
        Assert.Equal("", three.Output);

        var missing = await s.CmdStatusOutputAsync(@"dir /b C:\no-such-folder", T);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("not found", missing.Output, StringComparison.OrdinalIgnoreCase);

        var err = await Assert.ThrowsAsync<ShellCommandError>(() => s.CmdAsync("cmd /c exit 5", T));
        Assert.Equal(5, err.ExitStatus);

        // State carries over from command to command: it is one cmd.exe.
        await s.CmdAsync(@"cd C:\windows", T);
        await s.CmdAsync("set VT_VALUE=kept", T);
        Assert.Equal("C:\\windows\n", await s.CmdAsync("cd", T));
        Assert.Equal("kept\n", await s.CmdAsync("echo %VT_VALUE%", T));
    }

    [Fact]
    public async Task TheStatusAfterAFailingProgramIsItsErrorlevel()
    {
        await using var s = await ConnectAsync();
        var r = await s.CmdStatusOutputAsync("no-such-program.exe", T);
        Assert.Equal(9009, r.ExitCode); // cmd's errorlevel for a command it cannot find
        Assert.Contains("no-such-program.exe", r.Output);
        // The next command reports its own status, not the stale one.
        Assert.Equal(0, (await s.CmdStatusOutputAsync("echo ok", T)).ExitCode);
        // The status is read after the command ran, also when it is chained.
        Assert.Equal(4, (await s.CmdStatusOutputAsync("echo first & cmd /c exit 4", T)).ExitCode);
    }

    [Fact]
    public async Task LongOutputArrivesWhole()
    {
        await using var s = await ConnectAsync();
        var output = await s.CmdAsync("for /l %i in (1,1,3000) do @echo line %i", T);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Enumerable.Range(1, 3000).Select(i => $"line {i}"), lines);
    }

    [Fact]
    public async Task AnEchoedCommandLineIsNeverTakenForItsResult()
    {
        _relay.EchoInput = true; // as a console that echoes what is typed
        try
        {
            await using var s = await ConnectAsync();
            var r = await s.CmdStatusOutputAsync("cmd /c exit 7", T);
            Assert.Equal(7, r.ExitCode);
            Assert.DoesNotContain("errorlevel", r.Output);
            var echoed = await s.CmdStatusOutputAsync("echo V1E2 and V3", T);
            Assert.Equal(0, echoed.ExitCode);
            Assert.EndsWith("V1E2 and V3\n", echoed.Output);
        }
        finally
        {
            _relay.EchoInput = false;
        }
    }

    [Fact]
    public async Task ACommandPastItsDeadlineIsInterruptedAndTheSessionStaysUsable()
    {
        await using var s = await ConnectAsync();
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<SessionTimeoutException>(() => s.CmdAsync("ping -n 60 127.0.0.1", TimeSpan.FromSeconds(3)));
        Assert.Contains("ping -n 60", ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.Equal("after\n", await s.CmdAsync("echo after", T));
        Assert.DoesNotContain(_relay.RunningPrograms(), p => p.Contains("ping -n 60"));
    }

    [Fact]
    public async Task CancellationInterruptsTheCommandToo()
    {
        await using var s = await ConnectAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => s.CmdAsync("ping -n 61 127.0.0.1", T, cts.Token));
        Assert.Equal("still here\n", await s.CmdAsync("echo still here", T));
        Assert.DoesNotContain(_relay.RunningPrograms(), p => p.Contains("ping -n 61"));
    }

    [Fact]
    public async Task CommandsGivenAtOnceRunOneAfterTheOther()
    {
        await using var s = await ConnectAsync();
        var runs = Enumerable.Range(0, 4).Select(i => s.CmdAsync($"echo run {i}", T)).ToList();
        Assert.Equal(Enumerable.Range(0, 4).Select(i => $"run {i}\n"), await Task.WhenAll(runs));
    }

    [Fact]
    public async Task InteractiveLinesEndTheCmdWayAndOutputCanBeAwaited()
    {
        await using var s = await ConnectAsync();
        await s.SendLineAsync("echo value-42");
        var r = await s.ReadUntilAsync(new Regex(@"value-(\d+)\n"), T);
        Assert.Equal("42", r.Groups[0]);
        var prompt = await s.ReadUntilPromptAsync(T);
        Assert.Equal(@"C:\>", prompt.Match.Trim());
    }

    [Fact]
    public async Task WhenTheShellExitsTheSessionSaysSo()
    {
        await using var s = await ConnectAsync();
        var ex = await Assert.ThrowsAsync<SessionClosedException>(() => s.CmdAsync("exit", T));
        Assert.Contains("closed", ex.Message);
        Assert.False(s.IsOpen);
    }

    [Fact]
    public async Task ConnectingRetriesUntilTheAgentAnswers()
    {
        // The agent starts late in a Windows boot: nothing listens at first.
        var port = WineCmdRelay.FreePort();
        var connecting = ConnectAsync(port, TimeSpan.FromSeconds(60));
        await Task.Delay(1500);
        Assert.False(connecting.IsCompleted);
        await using var forward = Forwarder.Start(port, _relay.Port);
        await using var s = await connecting;
        Assert.Equal("late\n", await s.CmdAsync("echo late", T));
    }

    [Fact]
    public async Task NoAgentAtAllTimesOutSayingWhy()
    {
        var port = WineCmdRelay.FreePort();
        var ex = await Assert.ThrowsAsync<SessionTimeoutException>(() => ConnectAsync(port, TimeSpan.FromSeconds(2)));
        Assert.Contains($"127.0.0.1:{port}", ex.Message);
        Assert.Contains("refused", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Forwards a port to another (the agent appearing late).</summary>
    private sealed class Forwarder : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly List<TcpClient> _clients = new();
        private readonly Task _loop;

        private Forwarder(int from, int to)
        {
            _listener = new TcpListener(IPAddress.Loopback, from);
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var inbound = await _listener.AcceptTcpClientAsync();
                        var outbound = new TcpClient();
                        await outbound.ConnectAsync(IPAddress.Loopback, to);
                        lock (_clients) _clients.AddRange(new[] { inbound, outbound });
                        _ = inbound.GetStream().CopyToAsync(outbound.GetStream()).ContinueWith(_ => outbound.Dispose());
                        _ = outbound.GetStream().CopyToAsync(inbound.GetStream()).ContinueWith(_ => inbound.Dispose());
                    }
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
            });
        }

        public static Forwarder Start(int from, int to) => new(from, to);

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _loop;
            lock (_clients) foreach (var c in _clients) c.Dispose();
        }
    }
}
