using System.Diagnostics;
using System.Text.RegularExpressions;
using VirtTest.Core.Session;
using VirtTest.Core.Tests.Vm;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Session;

/// <summary>Serial console sessions and logins against the real test guest.</summary>
[Collection("Guest")]
[Trait("Category", "Guest")]
public sealed class SerialSessionGuestTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task CommandsReturnOutputAndExitStatusAndAHungCommandLeavesTheSessionUsable()
    {
        await using var g = await GuestVm.BootAsync("ser-cmd");
        await using var s = await SerialSession.ConnectAsync(g.Vm, new Regex(g.Guest.ShellPrompt), Short);
        await s.WaitForPromptAsync(Short);

        var ok = await s.CmdStatusOutputAsync("echo one; echo two >&2", Short);
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("one\ntwo\n", ok.Output);                // stderr too, in order, no \r, no escapes

        var failed = await s.CmdStatusOutputAsync("ls /no/such/path", Short);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("No such file", failed.Output);
        var error = await Assert.ThrowsAsync<ShellCommandError>(() => s.CmdAsync("exit_with() { return $1; }; exit_with 7", Short));
        Assert.Equal(7, error.ExitStatus);

        // The echoed command line contains the marker pieces; only the expanded status counts.
        Assert.Equal("<<VT'", (await s.CmdOutputAsync("printf '%s\\n' \"<<VT'\"", Short)).Trim());

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<SessionTimeoutException>(() => s.CmdAsync("sleep 100", TimeSpan.FromSeconds(2)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "timeout took " + clock.Elapsed);
        Assert.Equal("still here", (await s.CmdAsync("echo still here", Short)).Trim());
    }

    [Fact]
    public async Task TwoSerialSessionsAtOnceShareTheConsoleAndEitherClosesWithoutEndingTheOther()
    {
        // QEMU's serial socket serves one client: the sessions share one connection.
        await using var g = await GuestVm.BootAsync("ser-two");
        var prompt = new Regex(g.Guest.ShellPrompt);
        var first = await SerialSession.ConnectAsync(g.Vm, prompt, Short);
        await first.WaitForPromptAsync(Short);
        Assert.Equal("one", (await first.CmdAsync("echo one", Short)).Trim());
        var clock = Stopwatch.StartNew();
        await using (var second = await SerialSession.ConnectAsync(g.Vm, prompt, Short))
        {
            await second.WaitForPromptAsync(Short);
            Assert.Equal("two", (await second.CmdAsync("echo two", Short)).Trim());
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "the second session took " + clock.Elapsed);
            Assert.Equal("one again", (await first.CmdAsync("echo one again", Short)).Trim());
            await first.DisposeAsync();
            Assert.Equal("two alone", (await second.CmdAsync("echo two alone", Short)).Trim());
        }
        // All closed: the next session makes a new connection.
        await using var third = await SerialSession.ConnectAsync(g.Vm, prompt, Short);
        await third.WaitForPromptAsync(Short);
        Assert.Equal("three", (await third.CmdAsync("echo three", Short)).Trim());
    }

    [Fact]
    public async Task ARestartWithoutSessionsLogsInOnTheSerialConsoleBesideAnOpenSession()
    {
        // Restart-VirtVm without -Session makes its own serial login for the reboot command; an
        // open session of the test must not keep it from the console (it used to wait for the
        // whole login timeout and fail with no output).
        await using var g = await GuestVm.BootAsync("ser-restart", p => p["reboot_command"] = "reboot -f");
        await using var open = await SerialSession.ConnectAsync(g.Vm, new Regex(g.Guest.ShellPrompt), Short);
        await open.WaitForPromptAsync(Short);
        var bootId = (await open.CmdAsync("cat /proc/sys/kernel/random/boot_id", Short)).Trim();
        var took = await GuestRestart.RestartAsync(g.Vm, RestartMethod.Guest, Array.Empty<GuestSession>(), TimeSpan.FromSeconds(120));
        Assert.True(took < TimeSpan.FromSeconds(60), "the restart took " + took);
        // The open session reads the console still, now of the new boot.
        await open.WaitForPromptAsync(Short);
        Assert.NotEqual(bootId, (await open.CmdAsync("cat /proc/sys/kernel/random/boot_id", Short)).Trim());
    }

    [Fact]
    public async Task TheCursorQueryIsAnsweredSoCommandsDoNotWaitAndTheAnswerNeverReachesACommand()
    {
        await using var g = await GuestVm.BootAsync("ser-cpr");
        await using var s = await SerialSession.ConnectAsync(g.Vm, new Regex(g.Guest.ShellPrompt), Short);
        await s.WaitForPromptAsync(Short);
        await s.CmdAsync("true", Short);

        // Unanswered, busybox's line editor sleeps 20 ms after each line it reads. Busybox asks
        // after every prompt; the session answers before it types the next line. Counted, not
        // timed: a query the session gave up waiting for (a very busy machine) is the only miss.
        const int commands = 20;
        var before = s.CursorQueriesAnswered;
        for (var i = 0; i < commands; i++) await s.CmdAsync("true", Short);
        var answered = s.CursorQueriesAnswered - before;
        Assert.True(answered >= commands * 3 / 4, $"{answered} of the {commands} prompts' cursor queries were answered");

        // A command reading the terminal gets nothing typed: no answer went into its input.
        Assert.Equal("[]\n", await s.CmdOutputAsync("read -t 1 x; echo \"[$x]\"", Short));
        Assert.Equal("after\n", await s.CmdAsync("echo after", Short));
    }

    [Fact]
    public async Task CancellingAWaitReturnsPromptly()
    {
        await using var g = await GuestVm.BootAsync("ser-cancel");
        await using var s = await SerialSession.ConnectAsync(g.Vm, new Regex(g.Guest.ShellPrompt), Short);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => s.ReadUntilAsync(new Regex("never-printed"), TimeSpan.FromMinutes(5), cts.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), "cancel took " + clock.Elapsed);
    }

    [Fact]
    public async Task LoginPromptAcceptsTheRightPasswordAndRefusesAWrongOneWithoutLoggingIt()
    {
        await using var g = GuestVm.Create("ser-login", p => p["kernel_params"] += " virttest.login=1");
        await g.Vm.StartAsync();
        await g.Vm.WaitForConsoleAsync(new Regex("login: $", RegexOptions.Multiline), GuestVm.BootTimeout);
        var log = Path.Combine(Path.GetTempPath(), $"virttest-serial-{Guid.NewGuid():N}.log");
        const string wrong = "Wr0ng-Secret-71";
        try
        {
            var options = SessionOptions.FromParams(g.Vm.Params, SessionTransport.Serial, "root", wrong, Short);
            var refused = await Assert.ThrowsAsync<SessionAuthenticationException>(() =>
                GuestLogin.WaitForLoginAsync(g.Vm, new SessionOptions
                {
                    Transport = SessionTransport.Serial, UserName = "root", Password = wrong, ShellPrompt = new Regex(g.Guest.ShellPrompt),
                    Timeout = Short, LogPath = log,
                }));
            Assert.Equal("root", refused.UserName);
            Assert.DoesNotContain(wrong, refused.ToString());

            await using var session = await GuestLogin.WaitForLoginAsync(g.Vm, new SessionOptions
            {
                Transport = SessionTransport.Serial, UserName = "root", Password = g.Guest.Password, ShellPrompt = new Regex(g.Guest.ShellPrompt),
                Timeout = Short, LogPath = log,
            });
            Assert.Equal("root", (await session.CmdAsync("id -un", Short)).Trim());

            // Neither password reached the session log or the VM's console log (which the guest's echo would fill).
            foreach (var file in new[] { log, g.Vm.ConsoleLogPath! })
            {
                var text = await File.ReadAllTextAsync(file);
                Assert.Contains("login:", text);
                Assert.DoesNotContain(wrong, text);
                Assert.DoesNotContain(g.Guest.Password, text);
            }
            Assert.DoesNotContain(wrong, options.ToString());
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public async Task ASessionToAVmThatDiesFailsWithATypedErrorQuickly()
    {
        await using var g = await GuestVm.BootAsync("ser-dies");
        await using var s = await SerialSession.ConnectAsync(g.Vm, new Regex(g.Guest.ShellPrompt), Short);
        await s.WaitForPromptAsync(Short);
        var running = s.CmdAsync("sleep 60", TimeSpan.FromSeconds(50));
        await Task.Delay(500);
        Process.GetProcessById(g.Vm.ProcessId!.Value).Kill();
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<SessionClosedException>(() => running);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "took " + clock.Elapsed);
        Assert.False(s.IsOpen);
    }
}
