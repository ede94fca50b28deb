using System.Diagnostics;
using System.Text.RegularExpressions;
using VirtTest.Core.Resources;
using VirtTest.Core.Session;
using Xunit;

namespace VirtTest.Core.Tests.Session;

/// <summary>SshSession against one real sshd on loopback, shared by the class.</summary>
[Trait("Category", "Ssh")]
public sealed class SshSessionTests : IClassFixture<SshServerFixture>
{
    private static readonly TimeSpan T = TimeSpan.FromSeconds(20);
    private readonly SshServerFixture _fixture;

    public SshSessionTests(SshServerFixture fixture) => _fixture = fixture;

    private SshTestServer Server => _fixture.Server;

    private Task<SshSession> ConnectAsync(bool posixShell = true) =>
        SshSession.ConnectAsync(Server.KeyOptions(posixShell: posixShell), T);

    /// <summary>No process matches the pattern (each test sleeps for its own number of seconds); waits up to 6 s for kills to land.</summary>
    internal static async Task AssertGoneAsync(SshSession s, string psPattern)
    {
        var left = "";
        for (var i = 0; i < 30; i++)
        {
            // -w: "sleep 33" must not match an unrelated "sleep 330" elsewhere on the host.
            left = await s.CmdOutputAsync($"ps -eo args | grep -w '{psPattern}' || true", T);
            if (left == "") return;
            await Task.Delay(200);
        }
        Assert.Fail($"still running: {left}");
    }

    [Fact]
    public async Task CommandsReturnTheirOutputAndExitStatus()
    {
        var s = await _fixture.SharedSessionAsync();
        Assert.Equal(SessionTransport.Ssh, s.Transport);
        Assert.True(s.IsOpen);
        Assert.Equal("sshtest", s.VmName);
        Assert.Equal($"sshtest ssh {SshTestServer.TestUser}@127.0.0.1:{Server.Port}", s.Name);

        var ok = await s.CmdStatusOutputAsync("echo hello", T);
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("hello\n", ok.Output);

        var three = await s.CmdStatusOutputAsync("echo before; exit 3", T);
        Assert.Equal(3, three.ExitCode);
        Assert.Equal("before\n", three.Output);

        var err = await Assert.ThrowsAsync<ShellCommandError>(() => s.CmdAsync("echo oops >&2; exit 3", T));
        Assert.Equal(3, err.ExitStatus);
        Assert.Equal("oops\n", err.Output);

        Assert.Equal("", await s.CmdOutputAsync("true", T));
    }

    [Fact]
    public async Task StderrIsMergedInTheOrderTheCommandWroteIt()
    {
        var s = await _fixture.SharedSessionAsync();
        var r = await s.CmdStatusOutputAsync("echo out1; echo err1 >&2; echo out2; echo err2 >&2; exit 5", T);
        Assert.Equal(5, r.ExitCode);
        Assert.Equal("out1\nerr1\nout2\nerr2\n", r.Output);
        // A redirection of the command's own still works.
        Assert.Equal("kept\n", await s.CmdOutputAsync("{ echo dropped >&2; } 2>/dev/null; echo kept", T));
        Assert.Equal("", await s.CmdOutputAsync("echo hidden 2>/dev/null >&2", T));
    }

    [Fact]
    public async Task WithoutAPosixShellStdoutComesBeforeStderr()
    {
        await using var s = await ConnectAsync(posixShell: false);
        var r = await s.CmdStatusOutputAsync("echo out1; echo err1 >&2; echo out2", T);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("out1\nout2\nerr1\n", r.Output);
    }

    [Fact]
    public async Task ExecKeepsTheStreamsApartAndUntouched()
    {
        var s = await _fixture.SharedSessionAsync();
        var r = await s.ExecAsync("printf 'a\\r\\nb'; printf 'e\\n' >&2; exit 4", T);
        Assert.Equal(4, r.ExitStatus);
        Assert.Equal("a\r\nb", r.Stdout);
        Assert.Equal("e\n", r.Stderr);
        Assert.Null(r.ExitSignal);
        // Cleaned in the GuestSession vocabulary.
        Assert.Equal("a\nb", await s.CmdOutputAsync("printf 'a\\r\\nb'", T));
    }

    [Fact]
    public async Task ACommandKilledByASignalReports128PlusTheSignal()
    {
        var s = await _fixture.SharedSessionAsync();
        var r = await s.CmdStatusOutputAsync("kill -9 $$", T);
        Assert.Equal(137, r.ExitCode);
    }

    [Fact]
    public async Task CommandsRunInParallelOnOneSession()
    {
        var s = await _fixture.SharedSessionAsync();
        var clock = Stopwatch.StartNew();
        var runs = Enumerable.Range(0, 5).Select(i => s.CmdOutputAsync($"sleep 1; echo {i}", T)).ToList();
        var outputs = await Task.WhenAll(runs);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"{i}\n"), outputs);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"5 x sleep 1 took {clock.Elapsed}: not parallel");
    }

    [Fact]
    public async Task ACommandPastItsDeadlineTimesOutAndTheSessionStaysUsable()
    {
        await using var s = await ConnectAsync();
        s.SignalAbandoned = false; // the kill must work without it, as for root logins
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<SessionTimeoutException>(() => s.CmdAsync("echo started; sleep 36; echo never", TimeSpan.FromSeconds(1)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"timeout took {clock.Elapsed}");
        Assert.Contains("sleep 36", ex.Message);
        Assert.Contains("started", ex.Received);
        Assert.True(s.IsOpen);
        Assert.Equal("still here\n", await s.CmdAsync("echo still here", T));
        // The timed-out command was killed, not left running.
        await AssertGoneAsync(s, "[s]leep 36");
    }

    [Fact]
    public async Task TheNextCommandStartsOnlyOnceATimedOutCommandHasBeenEnded()
    {
        // Opening a channel while the server reaps another channel's process is what dropbear
        // before 2024.86 gets wrong, so the session waits; the next command sees it gone at once.
        await using var s = await ConnectAsync();
        s.SignalAbandoned = false;
        await Assert.ThrowsAsync<SessionTimeoutException>(() => s.CmdAsync("sleep 37", TimeSpan.FromSeconds(1)));
        Assert.Equal("", await s.CmdOutputAsync("ps -eo args | grep -w '[s]leep 37' || true", T));
    }

    [Fact]
    public async Task ExecPastItsDeadlineIsKilledToo()
    {
        await using var s = await ConnectAsync();
        s.SignalAbandoned = false; // the kill must work without it, as for root logins
        var ex = await Assert.ThrowsAsync<SessionTimeoutException>(() => s.ExecAsync("echo partial; echo to-stderr >&2; sleep 31", TimeSpan.FromSeconds(1)));
        Assert.Contains("partial", ex.Received);
        Assert.Contains("to-stderr", ex.Received);
        Assert.DoesNotMatch(@"^\d+\n", ex.Received);
        await AssertGoneAsync(s, "[s]leep 31");
    }

    [Fact]
    public async Task CancellationReturnsPromptlyAndTheSessionStaysUsable()
    {
        await using var s = await ConnectAsync();
        s.SignalAbandoned = false; // the kill must work without it, as for root logins
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => s.CmdAsync("sleep 35", T, cts.Token));
        Assert.Equal(cts.Token, ex.CancellationToken);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"cancellation took {clock.Elapsed}");
        Assert.Equal("ok\n", await s.CmdAsync("echo ok", T));
        await AssertGoneAsync(s, "[s]leep 35");

        // A wait on the interactive shell too.
        using var cts2 = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        clock.Restart();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => s.ReadUntilAsync(new Regex("never-printed"), T, cts2.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"cancellation took {clock.Elapsed}");
    }

    [Fact]
    public async Task ACommandCancelledBeforeItStartedIsKilledOnceItStarts()
    {
        await using var s = await ConnectAsync();
        s.SignalAbandoned = false; // the kill must work without it, as for root logins
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(5));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => s.CmdAsync("sleep 32", T, cts.Token));
        await Task.Delay(300); // the command starts meanwhile, then gets killed
        await AssertGoneAsync(s, "[s]leep 32");
    }

    [Fact]
    public async Task ACommandWhoseShellIsStillStartingIsKilledByItsMarker()
    {
        SshTestServer.EnsureSlowUser();
        var o = Server.KeyOptions();
        var options = new SshConnectionOptions { Host = o.Host, Port = o.Port, UserName = SshTestServer.SlowUser, PrivateKeyPath = o.PrivateKeyPath, KnownHostsPath = o.KnownHostsPath };
        await using var s = await SshSession.ConnectAsync(options, T);
        s.SignalAbandoned = false;
        // The deadline passes while bash still reads its ~/.bashrc (sleep 2): no pid yet.
        var ex = await Assert.ThrowsAsync<SessionTimeoutException>(() => s.CmdAsync("sleep 33", TimeSpan.FromMilliseconds(800)));
        Assert.Equal("", ex.Received);
        // The killer's own shell reads the slow ~/.bashrc too: by the time it runs, "sleep 33" runs.
        await using var check = await ConnectAsync();
        await Task.Delay(2500);
        await AssertGoneAsync(check, "[s]leep 33");
    }

    [Fact]
    public async Task TheInteractiveShellOpensOnFirstUse()
    {
        await using var s = await ConnectAsync();
        await s.SendLineAsync("PS1='vt-prompt# '");
        await s.ReadUntilPromptAsync(T, new Regex("vt-prompt# $"));
        await s.SendLineAsync("echo value-$((40+2))");
        var r = await s.ReadUntilAsync(new Regex(@"value-(\d+)\n"), T);
        Assert.Equal("42", r.Groups[0]);
        var prompt = await s.ReadUntilPromptAsync(T, new Regex("vt-prompt# $"));
        Assert.Equal("vt-prompt# ", prompt.Match);
        // A timed-out wait says what came.
        await s.SendLineAsync("echo something-else");
        var ex = await Assert.ThrowsAsync<SessionTimeoutException>(() => s.ReadUntilAsync(new Regex("never-printed"), TimeSpan.FromMilliseconds(500)));
        Assert.Contains("something-else", ex.Received);
        // Commands keep using their own channels meanwhile.
        Assert.Equal("exec\n", await s.CmdAsync("echo exec", T));
    }

    [Fact]
    public async Task WhenTheShellExitsWaitsFailTypedAndCommandsStillWork()
    {
        await using var s = await ConnectAsync();
        await s.SendLineAsync("exit 0");
        var ex = await Assert.ThrowsAsync<SessionClosedException>(() => s.ReadUntilAsync(new Regex("never-printed"), T));
        Assert.Contains("shell ended", ex.Message);
        await Assert.ThrowsAsync<SessionClosedException>(() => s.SendLineAsync("echo again"));
        Assert.True(s.IsOpen);
        Assert.Equal("ok\n", await s.CmdAsync("echo ok", T));
    }

    [Fact]
    public async Task PasswordLoginWorks()
    {
        var password = SshTestServer.TestUserPassword();
        var options = new SshConnectionOptions
        {
            Host = "127.0.0.1",
            Port = Server.Port,
            UserName = SshTestServer.TestUser,
            Password = password,
            KnownHostsPath = Server.KnownHostsPath,
        };
        Assert.DoesNotContain(password, options.ToString());
        await using var s = await SshSession.ConnectAsync(options, T);
        Assert.Equal(SshTestServer.TestUser + "\n", await s.CmdAsync("whoami", T));
        Assert.DoesNotContain(password, s.Name);
    }

    [Fact]
    public async Task AWrongPasswordFailsAtOnceTypedAndIsNeverWrittenAnywhere()
    {
        SshTestServer.TestUserPassword(); // the user exists
        var wrong = "Wrong-" + Guid.NewGuid().ToString("N");
        var log = new List<string>();
        var options = new SshConnectionOptions
        {
            Host = "127.0.0.1",
            Port = Server.Port,
            UserName = SshTestServer.TestUser,
            Password = wrong,
            KnownHostsPath = Server.KnownHostsPath,
            Log = line => { lock (log) log.Add(line); },
        };
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<SessionAuthenticationException>(() => SshSession.ConnectAsync(options, TimeSpan.FromSeconds(30)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"an auth failure must not be retried until the deadline (took {clock.Elapsed})");
        Assert.Equal(SshTestServer.TestUser, ex.UserName);
        Assert.Contains(SshTestServer.TestUser, ex.Message);
        Assert.Contains("127.0.0.1", ex.Message);

        var everything = new List<string> { ex.Message, ex.ToString(), options.ToString(), ex.Session };
        for (Exception? e = ex; e is not null; e = e.InnerException) everything.Add(e.Message);
        lock (log) everything.AddRange(log);
        foreach (var text in everything) Assert.DoesNotContain(wrong, text);

        // Root with a wrong password: the same typed error.
        var root = new SshConnectionOptions { Host = "127.0.0.1", Port = Server.Port, UserName = "root", Password = wrong, KnownHostsPath = Server.KnownHostsPath };
        var rootEx = await Assert.ThrowsAsync<SessionAuthenticationException>(() => SshSession.ConnectAsync(root, TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain(wrong, rootEx.ToString());
    }

    [Fact]
    public async Task AnUnreadableKeyIsALoginError()
    {
        var options = Server.KeyOptions() is var o
            ? new SshConnectionOptions { Host = o.Host, Port = o.Port, UserName = "root", PrivateKeyPath = Path.Combine(Server.Dir, "no-such-key") }
            : null!;
        var ex = await Assert.ThrowsAsync<SessionAuthenticationException>(() => SshSession.ConnectAsync(options, T));
        Assert.Contains("no-such-key", ex.Message);
    }

    [Fact]
    public async Task ConnectingToNothingTimesOutSayingWhyAndHonoursCancellation()
    {
        using var port = new PortAllocator(Path.Combine(Path.GetTempPath(), "virttest", "test-pools")).Reserve();
        var options = new SshConnectionOptions { Host = "127.0.0.1", Port = port.Port, UserName = "root", Password = "x" };
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<SessionTimeoutException>(() => SshSession.ConnectAsync(options, TimeSpan.FromSeconds(2)));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(5));
        Assert.Contains("refused", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"127.0.0.1:{port.Port}", ex.Message);

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(400));
        clock.Restart();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SshSession.ConnectAsync(options, TimeSpan.FromSeconds(30), cts.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"cancellation took {clock.Elapsed}");
    }

    [Fact]
    public async Task ADisposedSessionRefusesWorkTyped()
    {
        var s = await ConnectAsync();
        await s.DisposeAsync();
        Assert.False(s.IsOpen);
        await Assert.ThrowsAsync<SessionClosedException>(() => s.CmdAsync("true", T));
        await Assert.ThrowsAsync<SessionClosedException>(() => s.ExecAsync("true", T));
    }
}
