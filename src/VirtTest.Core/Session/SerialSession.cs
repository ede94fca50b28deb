using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Session;

/// <summary>
/// A shell on the guest's serial console, through the VM's console socket. Commands are
/// framed by markers the shell expands, so the echoed command line is never taken for the
/// result, and the exit status is the shell's own <c>$?</c>.
/// </summary>
/// <remarks>
/// The session answers the cursor position query (ESC[6n) that busybox's line editor sends after
/// each prompt, as a terminal would. Unanswered, the editor sleeps 20 ms after every line it
/// reads (so that a late answer does not show up as garbage), which made each command cost ~20 ms
/// more. The answer is only sent when it cannot land in a command's input: after a command ended
/// (its end marker seen) or the prompt came back, and before anything else was written.
/// </remarks>
public sealed class SerialSession : GuestSession
{
    /// <summary>"Cursor at row 1, column 1": busybox then keeps its own idea of the prompt's width.</summary>
    private const string CursorPositionReport = "\x1b[1;1R";
    /// <summary>How long a command waits for the query after the previous prompt before typing anyway.</summary>
    private static readonly TimeSpan QueryWait = TimeSpan.FromMilliseconds(50);
    private static int _markerCounter;
    private readonly Stream _stream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private readonly SemaphoreSlim _commandLock = new(1, 1);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CursorQueryState _cursorQueries = new();
    private StreamWriter? _log;
    /// <summary>When text was last written (Stopwatch ticks), for <see cref="CloseAsync"/>.</summary>
    private long _lastWrite;
    /// <summary>
    /// How long a close waits after the last write: QEMU hands socket input to the guest's UART
    /// only as fast as the UART takes it, and drops what it had not read when the client goes
    /// (seen: "poweroff" reached the shell, its newline did not).
    /// </summary>
    private static readonly TimeSpan DrainTime = TimeSpan.FromSeconds(1);

    private SerialSession(Stream console, string name, Regex prompt) : base(name, SessionTransport.Serial, prompt)
    {
        _stream = console;
        Buffer.CursorPositionQueried = position =>
        {
            if (_cursorQueries.Queried(position)) _ = AnswerCursorQueryAsync();
        };
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>
    /// Connects to a running VM's serial console (however its backend reaches it). Nothing is
    /// sent. An optional <c>logPath</c> file receives everything the guest prints while the
    /// session is open.
    /// </summary>
    public static async Task<SerialSession> ConnectAsync(VirtualMachine vm, Regex shellPrompt, TimeSpan timeout, string? logPath = null, CancellationToken ct = default)
    {
        var name = $"{vm.Name} serial";
        Stream console;
        try
        {
            console = await vm.OpenSerialConsoleAsync(timeout, ct).ConfigureAwait(false);
        }
        catch (ConsoleUnavailableException ex)
        {
            throw new SessionClosedException(name, $"Could not connect to {name}: {ex.Message}", ex);
        }
        return Create(console, name, shellPrompt, logPath, vm.Name);
    }

    /// <summary>Connects to a serial console exposed as a Unix socket.</summary>
    public static async Task<SerialSession> ConnectAsync(string socketPath, string name, Regex shellPrompt, TimeSpan timeout, string? logPath = null,
        CancellationToken ct = default, string? vmName = null)
    {
        Stream console;
        try
        {
            console = await UnixSocketConsole.ConnectAsync(socketPath, timeout, ct).ConfigureAwait(false);
        }
        catch (ConsoleUnavailableException ex)
        {
            throw new SessionClosedException(name, $"Could not connect to {name}: {ex.Message}", ex);
        }
        return Create(console, name, shellPrompt, logPath, vmName);
    }

    /// <summary>A session over an already open console stream, which the session then owns.</summary>
    public static SerialSession Create(Stream console, string name, Regex shellPrompt, string? logPath = null, string? vmName = null)
    {
        var session = new SerialSession(console, name, shellPrompt) { VmName = vmName };
        if (logPath is not null)
        {
            session._log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), new UTF8Encoding(false)) { AutoFlush = true };
            session.Buffer.Received = session.LogChunk;
        }
        return session;
    }

    private void LogChunk(string text)
    {
        try { lock (_stop) _log?.Write(text); } catch (ObjectDisposedException) { }
    }

    public override bool IsOpen => !Buffer.IsClosed;

    private async Task ReadLoopAsync()
    {
        var bytes = new byte[4096];
        var chars = new char[8192];
        var decoder = Encoding.UTF8.GetDecoder();
        try
        {
            while (true)
            {
                var n = await _stream.ReadAsync(bytes, _stop.Token).ConfigureAwait(false);
                if (n == 0) throw new IOException("the console socket was closed (did the VM stop?)");
                var c = decoder.GetChars(bytes, 0, n, chars, 0);
                Buffer.Append(new string(chars, 0, c));
            }
        }
        catch (OperationCanceledException)
        {
            Buffer.Close(new ObjectDisposedException(Name, "the session was closed"));
        }
        catch (Exception ex)
        {
            Buffer.Close(ex);
        }
    }

    public override async Task SendAsync(string text, CancellationToken ct = default)
    {
        if (!IsOpen) throw new SessionClosedException(Name, $"{Name} is closed.");
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _cursorQueries.Wrote(); // from now on an answer could land in what this text starts
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(text), ct).ConfigureAwait(false);
            Volatile.Write(ref _lastWrite, System.Diagnostics.Stopwatch.GetTimestamp());
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            throw new SessionClosedException(Name, $"Writing to {Name} failed: {ex.Message}", ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The shell may now read a cursor position report: answer its query if it came (or when it comes).</summary>
    private void ExpectCursorQueryAfter(long position)
    {
        if (_cursorQueries.Arm(position)) _ = AnswerCursorQueryAsync();
    }

    private async Task AnswerCursorQueryAsync()
    {
        try
        {
            await _writeLock.WaitAsync().ConfigureAwait(false);
            try
            {
                // Decided under the write lock: no command line can slip in between the check and the answer.
                if (!_cursorQueries.TakeDueAnswer()) return;
                await _stream.WriteAsync(Encoding.UTF8.GetBytes(CursorPositionReport)).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The console is gone; the next command reports that.
        }
    }

    /// <summary>Presses Enter and waits for the shell prompt (the guest may have printed it long ago).</summary>
    public async Task WaitForPromptAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        Buffer.Discard();
        await SendLineAsync("", ct).ConfigureAwait(false);
        await ReadUntilPromptAsync(timeout, null, ct).ConfigureAwait(false);
        ExpectCursorQueryAfter(Buffer.ReadPosition); // the shell read our empty line: its editor asks next
    }

    protected override async Task<(int Status, string Output)> RunCommandAsync(string command, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        await _commandLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var id = Base36(Interlocked.Increment(ref _markerCounter));
            await WaitForCursorQueryAsync(deadline, ct).ConfigureAwait(false);
            Buffer.Discard();
            // One line (the shell echoes what it reads, so a second line would land in the output).
            // The markers only exist once the shell expands them (V'' becomes V, $? the status), so
            // the echo of the line never contains them, also where the echo wraps. The line is as
            // short as that allows: the guest's line editor echoes it byte by byte, each byte a
            // round through the emulated UART (~0.1 ms under TCG), the largest cost of a command.
            var trimmed = command.TrimEnd();
            var separator = trimmed.EndsWith('&') && !trimmed.EndsWith("&&", StringComparison.Ordinal) ? "" : ";";
            await SendLineAsync($"echo V''{id};{trimmed}{separator}echo V$?E{id}", ct).ConfigureAwait(false);
            try
            {
                await Buffer.ReadUntilAsync(new Regex($"V{id}\n"), Left(deadline), ct, $"the start of '{command}'").ConfigureAwait(false);
                // No newline is added before the end marker: output without a final newline ends
                // right before it, output with one keeps it.
                var end = await Buffer.ReadUntilAsync(new Regex($"V(\\d+)E{id}\n"), Left(deadline), ct, $"the end of '{command}'").ConfigureAwait(false);
                ExpectCursorQueryAfter(Buffer.ReadPosition);
                return (int.Parse(end.Groups[0], CultureInfo.InvariantCulture), end.Before);
            }
            catch (SessionTimeoutException)
            {
                await InterruptAsync().ConfigureAwait(false);
                throw;
            }
            catch (OperationCanceledException)
            {
                await InterruptAsync().ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            _commandLock.Release();
        }
    }

    /// <summary>Ctrl+C and wait for the prompt, so the session stays usable after a command that hung.</summary>
    private async Task InterruptAsync()
    {
        try
        {
            await SendAsync("\u0003").ConfigureAwait(false);
            await Task.Delay(100).ConfigureAwait(false);
            await SendLineAsync("").ConfigureAwait(false);
            await ReadUntilPromptAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            Buffer.Discard();
        }
        catch (SessionException)
        {
            // The shell does not come back: leave it; the caller's error says what timed out.
        }
    }

    /// <summary>
    /// When the shell asks for the cursor after each prompt and has not yet asked after the last
    /// command, waits (briefly) for that query to be answered before typing: a line typed before
    /// the answer makes busybox sleep 20 ms once it read the line.
    /// </summary>
    private async Task WaitForCursorQueryAsync(DateTime deadline, CancellationToken ct)
    {
        if (_cursorQueries.PendingAnswer() is not { } answered) return;
        var left = Left(deadline);
        try
        {
            await answered.WaitAsync(left < QueryWait ? left : QueryWait, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _cursorQueries.StopExpecting(); // this shell (now) does not ask; type ahead until it does again
        }
    }

    private static string Base36(int n)
    {
        const string digits = "0123456789abcdefghijklmnopqrstuvwxyz";
        var text = "";
        do
        {
            text = digits[n % 36] + text;
            n /= 36;
        }
        while (n > 0);
        return text;
    }

    private static TimeSpan Left(DateTime deadline)
    {
        var left = deadline - DateTime.UtcNow;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    protected override async ValueTask CloseAsync()
    {
        // Text just written (a reboot or poweroff typed before closing) must reach the guest first.
        if (Volatile.Read(ref _lastWrite) is var last and > 0 && System.Diagnostics.Stopwatch.GetElapsedTime(last) is var since && since < DrainTime)
        {
            await Task.Delay(DrainTime - since).ConfigureAwait(false);
        }
        _stop.Cancel();
        // Disposing the stream ends a read that does not observe the token.
        await _stream.DisposeAsync().ConfigureAwait(false);
        try { await _reader.ConfigureAwait(false); } catch { /* the reader ends with the stream */ }
        lock (_stop)
        {
            _log?.Dispose();
            _log = null;
        }
        _commandLock.Dispose();
    }
}
