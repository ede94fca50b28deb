using System.Text;
using System.Text.RegularExpressions;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Session;

/// <summary>
/// A shell on the guest's serial console, through the VM's console socket. Commands are
/// framed by markers the shell expands (<see cref="ShellDialect"/>), so the echoed command
/// line is never taken for the result, and the exit status is the shell's own (<c>$?</c>, or
/// <c>%errorlevel%</c> for a cmd.exe console).
/// </summary>
/// <remarks>
/// The session answers the cursor position query (ESC[6n) that busybox's line editor sends after
/// each prompt, as a terminal would. Unanswered, the editor sleeps 20 ms after every line it
/// reads (so that a late answer does not show up as garbage), which made each command cost ~20 ms
/// more. The answer is only sent when it cannot land in a command's input: after a command ended
/// (its end marker seen) or the prompt came back, and before anything else was written.
/// </remarks>
public sealed class SerialSession : StreamShellSession
{
    /// <summary>"Cursor at row 1, column 1": busybox then keeps its own idea of the prompt's width.</summary>
    private const string CursorPositionReport = "\x1b[1;1R";
    /// <summary>How long a command waits for the query after the previous prompt before typing anyway.</summary>
    private static readonly TimeSpan QueryWait = TimeSpan.FromMilliseconds(50);
    private readonly object _logGate = new();
    private readonly CursorQueryState _cursorQueries = new();
    private StreamWriter? _log;

    private SerialSession(Stream console, string name, Regex prompt, ShellDialect dialect) : base(console, name, SessionTransport.Serial, prompt, dialect)
    {
        Buffer.CursorPositionQueried = position =>
        {
            if (_cursorQueries.Queried(position)) _ = AnswerCursorQueryAsync();
        };
        StartReading();
    }

    /// <summary>
    /// Connects to a running VM's serial console (however its backend reaches it). Nothing is
    /// sent. An optional <c>logPath</c> file receives everything the guest prints while the
    /// session is open.
    /// </summary>
    public static async Task<SerialSession> ConnectAsync(VirtualMachine vm, Regex shellPrompt, TimeSpan timeout, string? logPath = null, CancellationToken ct = default,
        ShellDialect? dialect = null)
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
        return Create(console, name, shellPrompt, logPath, vm.Name, dialect);
    }

    /// <summary>Connects to a serial console exposed as a Unix socket.</summary>
    public static async Task<SerialSession> ConnectAsync(string socketPath, string name, Regex shellPrompt, TimeSpan timeout, string? logPath = null,
        CancellationToken ct = default, string? vmName = null, ShellDialect? dialect = null)
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
        return Create(console, name, shellPrompt, logPath, vmName, dialect);
    }

    /// <summary>A session over an already open console stream, which the session then owns.</summary>
    public static SerialSession Create(Stream console, string name, Regex shellPrompt, string? logPath = null, string? vmName = null, ShellDialect? dialect = null)
    {
        var session = new SerialSession(console, name, shellPrompt, dialect ?? ShellDialect.Posix) { VmName = vmName };
        if (logPath is not null)
        {
            session._log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), new UTF8Encoding(false)) { AutoFlush = true };
            session.Buffer.Received = session.LogChunk;
        }
        return session;
    }

    private void LogChunk(string text)
    {
        try { lock (_logGate) _log?.Write(text); } catch (ObjectDisposedException) { }
    }

    /// <inheritdoc />
    protected override string ClosedByPeer => "the console socket was closed (did the VM stop?)";

    /// <summary>From now on an answer could land in what the text being written starts.</summary>
    protected override void OnWriting() => _cursorQueries.Wrote();

    /// <summary>
    /// QEMU hands socket input to the guest's UART only as fast as the UART takes it, and drops
    /// what it had not read when the client goes (seen: "poweroff" reached the shell, its newline did not).
    /// </summary>
    protected override TimeSpan DrainTime => TimeSpan.FromSeconds(1);

    /// <summary>How many of the guest shell's cursor position queries this session answered.</summary>
    internal int CursorQueriesAnswered => _cursorQueries.Answers;

    /// <summary>The shell may now read a cursor position report: answer its query if it came (or when it comes).</summary>
    protected override void AfterShellReadLine(long position)
    {
        if (_cursorQueries.Arm(position)) _ = AnswerCursorQueryAsync();
    }

    private async Task AnswerCursorQueryAsync()
    {
        try
        {
            // Decided under the write lock: no command line can slip in between the check and the answer.
            await WriteIfAsync(_cursorQueries.TakeDueAnswer, CursorPositionReport).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The console is gone; the next command reports that.
        }
    }

    /// <summary>
    /// When the shell asks for the cursor after each prompt and has not yet asked after the last
    /// command, waits (briefly) for that query to be answered before typing: a line typed before
    /// the answer makes busybox sleep 20 ms once it read the line.
    /// </summary>
    protected override async Task BeforeCommandAsync(DateTime deadline, CancellationToken ct)
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

    /// <inheritdoc />
    protected override void OnClosed()
    {
        lock (_logGate)
        {
            _log?.Dispose();
            _log = null;
        }
    }
}
