using System.Diagnostics;
using System.Text;
using Renci.SshNet;

namespace VirtTest.Core.Session;

/// <summary>
/// Runs the commands of an <see cref="SshSession"/>, each on its own exec channel, and ends
/// the ones given up on (deadline, cancellation, lost connection).
/// </summary>
/// <remarks>
/// <para>With a POSIX login shell a command is wrapped: <c>: vt-&lt;id&gt;; printf '%s\n' "$$" >&amp;2;
/// [exec 2>&amp;1;] command</c> and a last line <c>exit $?</c>. The shell reports its pid first on
/// stderr (split off, never shown), and the marker word finds the shell by its command line
/// while its startup files still run, before the pid comes.</para>
/// <para>A command given up on is killed with its process group (<c>kill -KILL -pid</c> on a second
/// exec channel, also walking /proc for servers such as dropbear that put the command in the
/// group of their own connection process); OpenSSH refuses SSH signal requests for root
/// logins, so those alone cannot be relied on, though they are sent too.</para>
/// <para>The next channel opens only once the commands given up on have ended: dropbear before
/// 2024.86 closes a channel that opens while it handles the exit of another channel's process,
/// so the new command would fail with no exit status or never be answered.</para>
/// </remarks>
internal sealed class SshCommandRunner
{
    /// <summary>The shell reports its pid as the first line on stderr (POSIX shells only).</summary>
    private const string PidPrefix = "printf '%s\\n' \"$$\" >&2; ";

    private readonly string _name;
    private readonly SshClient _client;
    private readonly SshConnectionState _state;
    private readonly object _endingLock = new();
    private Task _ending = Task.CompletedTask;

    public SshCommandRunner(string name, SshClient client, SshConnectionState state)
    {
        _name = name;
        _client = client;
        _state = state;
    }

    /// <summary>
    /// Also send SSH's signal request to a command given up on (default). Tests turn it off to
    /// see the kill by pid or marker work alone, as it must for root logins.
    /// </summary>
    public bool SignalAbandoned { get; set; } = true;

    /// <summary>Runs one command; <paramref name="merge"/> merges stderr into stdout in the remote shell (POSIX only).</summary>
    public async Task<SshExecResult> ExecAsync(string command, bool merge, bool posix, TimeSpan timeout, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        _state.ThrowIfUnusable($"run '{command}' on");
        // The marker (a no-op word) finds the shell by its command line while the startup
        // files still run, before it can report its pid.
        var marker = "vt-" + Guid.NewGuid().ToString("N")[..16];
        // The closing "exit $?" keeps the shell from exec'ing the last command, so the marker stays
        // visible on the shell's command line for as long as the command runs.
        var wire = !posix ? command : $": {marker}; " + PidPrefix + (merge ? "exec 2>&1; " : "") + command + "\nexit $?";
        var clock = Stopwatch.StartNew();
        await WaitForEndingCommandsAsync($"'{command}' to start", timeout, ct).ConfigureAwait(false);
        SshCommand cmd;
        try
        {
            cmd = _client.CreateCommand(wire);
        }
        catch (Exception ex) when (SshConnectionState.IsConnectionError(ex))
        {
            throw _state.Lost($"run '{command}' on", ex);
        }
        using var deadline = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token, _state.StopToken);
        // ExecuteAsync opens the channel and sends the request synchronously: keep that off the
        // caller's thread ("started" completes then; "run" when the command ends).
        var started = OffThePool(() => cmd.ExecuteAsync(CancellationToken.None));
        var run = started.Unwrap();
        try
        {
            var first = await Task.WhenAny(run, _state.LostTask).WaitAsync(linked.Token).ConfigureAwait(false);
            if (first != run) throw await _state.LostTask.ConfigureAwait(false);
            await run.ConfigureAwait(false);
            var stderr = cmd.Error;
            if (posix) (_, stderr) = SplitPid(stderr);
            var result = new SshExecResult(command, Status(cmd), cmd.Result, stderr, cmd.ExitSignal, clock.Elapsed);
            cmd.Dispose();
            return result;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Abandon(cmd, started, run, posix ? marker : null);
            throw new OperationCanceledException($"'{command}' on {_name} was cancelled.", null, ct);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !_state.IsStopped)
        {
            var partial = Abandon(cmd, started, run, posix ? marker : null);
            throw new SessionTimeoutException(_name, $"'{command}' to finish", timeout, TerminalText.Clean(partial));
        }
        catch (OperationCanceledException)
        {
            Abandon(cmd, started, run, posix ? marker : null);
            throw new SessionClosedException(_name, $"{_name} was closed while '{command}' ran.");
        }
        catch (Exception ex) when (SshConnectionState.IsConnectionError(ex))
        {
            Abandon(cmd, started, run, posix ? marker : null);
            throw _state.Lost($"run '{command}' on", ex);
        }
    }

    /// <summary>Splits the pid line the wrapper writes first on stderr from the command's own stderr.</summary>
    private static (int? Pid, string Remainder) SplitPid(string stderr)
    {
        var nl = stderr.IndexOf('\n');
        if (nl > 0 && int.TryParse(stderr.AsSpan(0, nl), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid))
            return (pid, stderr[(nl + 1)..]);
        return (null, stderr);
    }

    private static int Status(SshCommand cmd)
    {
        if (cmd.ExitStatus is int status) return status;
        return cmd.ExitSignal is { } signal ? 128 + SignalNumber(signal) : -1;
    }

    private static int SignalNumber(string name) => name.ToUpperInvariant() switch
    {
        "HUP" => 1, "INT" => 2, "QUIT" => 3, "ILL" => 4, "ABRT" => 6, "FPE" => 8, "KILL" => 9,
        "USR1" => 10, "SEGV" => 11, "USR2" => 12, "PIPE" => 13, "ALRM" => 14, "TERM" => 15,
        _ => 0,
    };

    /// <summary>What a pipe holds now, without blocking (for the output of a command that timed out).</summary>
    private static string Available(Stream? s)
    {
        if (s is null) return "";
        try
        {
            var n = (int)Math.Min(s.Length, 1 << 20);
            if (n <= 0) return "";
            var buf = new byte[n];
            var got = s.Read(buf, 0, n);
            return Encoding.UTF8.GetString(buf, 0, got);
        }
        catch (Exception ex) when (ex is NotSupportedException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            return "";
        }
    }

    /// <summary>
    /// Waits until the commands given up on have ended (see <see cref="Abandon"/>) before a new
    /// channel opens: dropbear before 2024.86 closes a channel that opens while it handles the
    /// exit of another channel's process, so the new command would fail with no exit status or
    /// never be answered. Bounded by the caller's deadline.
    /// </summary>
    public async Task WaitForEndingCommandsAsync(string what, TimeSpan timeout, CancellationToken ct)
    {
        Task ending;
        lock (_endingLock) ending = _ending;
        if (ending.IsCompleted) return;
        try
        {
            await ending.WaitAsync(timeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new SessionTimeoutException(_name, what + " (a command given up on earlier is still being ended)", timeout, "");
        }
    }

    /// <summary>
    /// Gives up on a command: takes what output it produced so far, then, in the background,
    /// kills its process group (found by the pid the wrapper reported, or by its marker while
    /// the shell still reads its startup files), waits for the server to close its channel,
    /// sends it SIGKILL the SSH way if it did not (OpenSSH honours that for non-root logins
    /// only), and closes the channel. The next command waits for this. Returns the output so
    /// far (stdout, then stderr).
    /// </summary>
    private string Abandon(SshCommand cmd, Task<Task> started, Task run, string? marker)
    {
        _ = run.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        var stdout = "";
        var stderr = "";
        int? pid = null;
        if (started.IsCompletedSuccessfully)
        {
            stdout = Available(cmd.OutputStream);
            stderr = Available(cmd.ExtendedOutputStream);
            if (marker is not null) (pid, stderr) = SplitPid(stderr);
        }
        var ending = Task.Run(async () =>
        {
            var killed = false;
            try
            {
                if (marker is not null && await Completes(started, TimeSpan.FromSeconds(5)).ConfigureAwait(false) && !run.IsCompleted && _state.IsOpen)
                {
                    // The pid line may still be on its way.
                    var early = stderr;
                    for (var i = 0; i < 10 && pid is null && !run.IsCompleted; i++)
                    {
                        early += Available(cmd.ExtendedOutputStream);
                        (pid, _) = SplitPid(early);
                        if (pid is null) await Task.Delay(50).ConfigureAwait(false);
                    }
                    if (!run.IsCompleted) await KillRemoteAsync(pid, marker).ConfigureAwait(false);
                    killed = true;
                }
            }
            catch { /* gone already, or the connection is */ }
            // The server closes the channel once the process is gone.
            var closed = killed && _state.IsOpen && await Completes(run, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            try { if (!closed && SignalAbandoned && started.IsCompletedSuccessfully) cmd.CancelAsync(forceKill: true, millisecondsTimeout: 200); } catch { /* the connection is gone */ }
            try { cmd.Dispose(); } catch { /* closing a dead channel */ }
        });
        lock (_endingLock) _ending = _ending.IsCompleted ? ending : Task.WhenAll(_ending, ending);
        return stdout + stderr;
    }

    /// <summary>SIGKILL to a command's process group, on a channel of its own (best effort, bounded).</summary>
    private async Task KillRemoteAsync(int? pid, string marker)
    {
        // "[v]t-..." matches the marker but not this command's own command line.
        var pattern = "[" + marker[0] + "]" + marker[1..];
        // "kill -KILL -pgid" as dash (no "--") and bash/busybox understand it; then the pid alone.
        // Some servers (dropbear) put the command in the group of their own connection process,
        // so killing the group is not enough: the tree is also walked through /proc (children
        // first), and processes carrying the marker are found there when pgrep is missing.
        const string killTree = "vt_kill_tree() { for s in /proc/[0-9]*/stat; do read -r c n st pp rest < \"$s\" 2>/dev/null || continue; " +
            "[ \"$pp\" = \"$1\" ] && vt_kill_tree \"$c\"; done; kill -KILL \"$1\" 2>/dev/null; }; ";
        var script = killTree
            + (pid is int p ? $"vt_kill_tree {p}; kill -KILL -{p} 2>/dev/null || kill -KILL -- -{p} 2>/dev/null; " : "")
            + $"for p in $(pgrep -f '{pattern}' 2>/dev/null; grep -l '{pattern}' /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do vt_kill_tree $p; done; true";
        using var kill = _client.CreateCommand(script);
        await OffThePool(() => kill.ExecuteAsync(CancellationToken.None)).Unwrap().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs SSH.NET's blocking part (opening a channel waits for the server's answer, up to
    /// 30 s) on a thread of its own: on a 2-core machine the thread pool starts with two threads,
    /// and a few slow channel opens would hold up every continuation in the process.
    /// </summary>
    public static Task<T> OffThePool<T>(Func<T> blocking) =>
        Task.Factory.StartNew(blocking, CancellationToken.None, TaskCreationOptions.DenyChildAttach | TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static async Task<bool> Completes(Task task, TimeSpan limit)
    {
        try
        {
            await task.WaitAsync(limit).ConfigureAwait(false);
            return true;
        }
        catch
        {
            return false;
        }
    }
}
