using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using VirtTest.Core.Monitor;

namespace VirtTest.Core.Backends.Qemu;

/// <summary>
/// A QEMU Machine Protocol (QMP) connection: commands with replies matched by id, and the
/// events QEMU sends in between, collected in <see cref="Events"/>.
/// </summary>
/// <remarks>
/// A command reads its own reply: while commands wait, they read the socket themselves (one line
/// read at a time, shared, dispatched in order by whoever sees it complete: replies to their
/// commands, events into <see cref="Events"/>). Only while no command waits does a background
/// pump read, to collect events. This saves a thread hop per round trip (the reply no longer
/// travels from a reader thread to the caller's). Any number of callers may run commands at
/// once (writes are serialized). When the connection ends (QEMU exited,
/// the client was disposed) every waiting and later call fails with
/// <see cref="MonitorConnectionException"/> instead of hanging.
/// <para>
/// Lines the client cannot use (not JSON, not an object, a reply nobody waits for) are reported
/// through <see cref="Trace"/>, counted in <see cref="IgnoredLineCount"/> and skipped: QEMU never
/// sends them, and one stray line should not take the VM's monitor down. A caller whose reply was
/// lost that way gets a <see cref="MonitorTimeoutException"/>.
/// </para>
/// </remarks>
public sealed class QmpClient : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan ConnectRetryInterval = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan ReaderStopTimeout = TimeSpan.FromSeconds(5);

    private readonly Stream _stream;
    private readonly StreamReader _reader;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly object _gate = new();
    private readonly Dictionary<long, PendingCommand> _pending = new();
    private readonly CancellationTokenSource _lifetime = new(); // never disposed: no timer, and late Cancel() calls must not throw
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _readGate = new(); // guards the fields below; lines are dispatched under it, in order
    private Task<string?>? _read;              // the one outstanding line read, shared by whoever needs input
    private int _inlineReaders;                // commands waiting for their reply (they read; the pump stands aside)
    private Task<string?>? _pumpWatches;       // the read the event pump's continuation is attached to
    private long _lastCommandNumber;
    private long _ignoredLineCount;
    private volatile Exception? _closeReason;
    private int _disposed;

    private QmpClient(Stream stream, string endpoint, Action<string>? trace)
    {
        _stream = stream;
        Endpoint = endpoint;
        Trace = trace;
        _reader = new StreamReader(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), detectEncodingFromByteOrderMarks: false, bufferSize: 16 * 1024, leaveOpen: true);
    }

    /// <summary>What the client is connected to (the socket path), for messages.</summary>
    public string Endpoint { get; }

    /// <summary>The server's greeting: QEMU version and offered capabilities.</summary>
    public QmpGreeting Greeting { get; private set; } = null!;

    /// <summary>Every event received on this connection.</summary>
    public QmpEventLog Events { get; } = new();

    /// <summary>The reply timeout of commands called without one.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Receives each line sent (<c>-&gt; </c>) and received (<c>&lt;- </c>), and notes on ignored lines and closing (<c>!! </c>). Called on whichever thread sends or reads the line (a caller's, or the event pump's); exceptions it throws are swallowed.</summary>
    public Action<string>? Trace { get; set; }

    /// <summary>
    /// Raised for each event, after it is in <see cref="Events"/>, on the thread that read it (the
    /// event pump's or that of a command waiting for its reply). Keep handlers short and never block
    /// on a command there: no further line is read until the handler returns.
    /// </summary>
    public event EventHandler<QmpEvent>? EventReceived;

    public bool IsConnected => _closeReason is null;

    /// <summary>Completes (never faults) when the connection has closed, for whatever reason.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Why the connection closed, or null while it is open.</summary>
    public Exception? CloseReason => _closeReason;

    /// <summary>Lines received that were not usable QMP messages and were skipped.</summary>
    public long IgnoredLineCount => Interlocked.Read(ref _ignoredLineCount);

    /// <summary>
    /// Connects to QEMU's QMP Unix socket (<c>-qmp unix:PATH,server=on,wait=off</c>), retrying until
    /// the socket exists and accepts, then reads the greeting and negotiates capabilities, all within
    /// <paramref name="timeout"/>.
    /// </summary>
    /// <exception cref="MonitorConnectionException">No connection within the timeout, or the peer is not a QMP server.</exception>
    /// <exception cref="MonitorTimeoutException">Connected, but the greeting or the negotiation reply did not come in time.</exception>
    public static async Task<QmpClient> ConnectAsync(string unixSocketPath, TimeSpan timeout, CancellationToken ct = default, Action<string>? trace = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(unixSocketPath);
        var endpoint = new UnixDomainSocketEndPoint(unixSocketPath);
        var clock = Stopwatch.StartNew();

        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            SocketException failure;
            try
            {
                await socket.ConnectAsync(endpoint, ct).ConfigureAwait(false);
                var stream = new NetworkStream(socket, ownsSocket: true);
                return await ConnectCoreAsync(stream, unixSocketPath, timeout, clock, ct, trace).ConfigureAwait(false);
            }
            catch (SocketException ex)
            {
                // QEMU may not have created the socket yet (ENOENT) or not be listening yet (ECONNREFUSED).
                socket.Dispose();
                failure = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            var remaining = timeout - clock.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                var seconds = $"{timeout.TotalSeconds:0.###} s";
                throw new MonitorConnectionException(
                    File.Exists(unixSocketPath)
                        ? $"Could not connect to the QMP socket '{unixSocketPath}' within {seconds}: {failure.Message}"
                        : $"The QMP socket '{unixSocketPath}' did not appear within {seconds} (is QEMU running with -qmp unix:{unixSocketPath},server=on?).",
                    failure);
            }
            await Task.Delay(remaining < ConnectRetryInterval ? remaining : ConnectRetryInterval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Speaks QMP over an already connected stream (another transport, or a test's fake server):
    /// reads the greeting and negotiates capabilities within <paramref name="timeout"/>.
    /// The client owns the stream from then on and disposes it, also when this method fails.
    /// </summary>
    public static Task<QmpClient> ConnectAsync(Stream connectedStream, TimeSpan timeout, CancellationToken ct = default, Action<string>? trace = null, string endpoint = "stream")
    {
        ArgumentNullException.ThrowIfNull(connectedStream);
        return ConnectCoreAsync(connectedStream, endpoint, timeout, Stopwatch.StartNew(), ct, trace);
    }

    private static async Task<QmpClient> ConnectCoreAsync(Stream stream, string endpoint, TimeSpan timeout, Stopwatch clock, CancellationToken ct, Action<string>? trace)
    {
        var client = new QmpClient(stream, endpoint, trace);
        try
        {
            await client.ReadGreetingAsync(timeout, clock, ct).ConfigureAwait(false);
            client.ResumePump();
            var remaining = timeout - clock.Elapsed;
            // No capabilities are enabled: "oob" would change reply ordering rules for no benefit here.
            await client.ExecuteAsync("qmp_capabilities", timeout: remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1), ct: ct).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task ReadGreetingAsync(TimeSpan timeout, Stopwatch clock, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var remaining = timeout - clock.Elapsed;
        deadline.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
        string? line;
        try
        {
            line = await _reader.ReadLineAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new MonitorTimeoutException($"the QMP greeting on '{Endpoint}'", timeout);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            throw new MonitorConnectionException($"Reading the QMP greeting on '{Endpoint}' failed: {ex.Message}", ex);
        }

        if (line is null) throw new MonitorConnectionException($"The QMP connection '{Endpoint}' closed before the server sent its greeting.");
        TraceLine("<- " + line);
        try
        {
            Greeting = QmpGreeting.Parse(line);
        }
        catch (FormatException ex)
        {
            throw new MonitorConnectionException($"'{Endpoint}' is not a QMP server: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Runs a QMP command and returns its <c>return</c> value (often an empty object).
    /// </summary>
    /// <exception cref="MonitorCommandException">QEMU answered with an error (its class and description are kept).</exception>
    /// <exception cref="MonitorTimeoutException">No reply within the timeout (<see cref="DefaultTimeout"/> when none is given).</exception>
    /// <exception cref="MonitorConnectionException">The connection is closed or closed while waiting.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments = null, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ct.ThrowIfCancellationRequested();

        var effectiveTimeout = timeout ?? DefaultTimeout;
        // A number, not a string: QEMU reads QMP input one byte per main-loop turn, so every byte of
        // the request costs several microseconds of round trip (a "virttest-N" string id cost ~20%).
        var id = Interlocked.Increment(ref _lastCommandNumber);
        var pending = new PendingCommand(command);
        lock (_gate)
        {
            if (_closeReason is { } reason) throw ConnectionClosed($"Cannot run '{command}'", reason);
            _pending.Add(id, pending);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(effectiveTimeout);
        EnterInlineReading();
        try
        {
            await SendAsync(EncodeCommand(command, arguments, id), command, deadline.Token).ConfigureAwait(false);
            await ReadUntilAnsweredAsync(pending.Reply.Task, deadline.Token).ConfigureAwait(false);
            var reply = await pending.Reply.Task.ConfigureAwait(false);
            return InterpretReply(command, reply);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new MonitorTimeoutException($"QMP reply to '{command}'", effectiveTimeout);
        }
        finally
        {
            LeaveInlineReading();
            lock (_gate) _pending.Remove(id);
        }
    }

    /// <summary>
    /// Reads and dispatches lines until <paramref name="answered"/> completes: on this caller's
    /// own continuation when it sees the line first, or by another reader's dispatch.
    /// </summary>
    private async Task ReadUntilAnsweredAsync(Task answered, CancellationToken ct)
    {
        while (!answered.IsCompleted)
        {
            var read = CurrentRead();
            if (read is null) return; // closed: FailConnection has failed every pending reply
            // Waiting for the read suffices: a reply another reader dispatches came in a read that
            // completes no earlier than this one (reads are sequential), so this wakes up in time.
            if (!read.IsCompleted)
            {
                await ((Task)read).WaitAsync(ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                ct.ThrowIfCancellationRequested();
            }
            Consume(read);
        }
    }

    private void EnterInlineReading()
    {
        lock (_readGate) _inlineReaders++;
    }

    private void LeaveInlineReading()
    {
        bool idle;
        lock (_readGate) idle = --_inlineReaders == 0;
        if (idle) ResumePump(); // events keep arriving in the log while nobody calls
    }

    /// <summary>The outstanding line read, started if there is none; null once the connection is closed.</summary>
    private Task<string?>? CurrentRead()
    {
        lock (_readGate)
        {
            if (_closeReason is not null) return null;
            if (_read is null)
            {
                try
                {
                    // No token: a cancellable socket read costs a registration per line, and
                    // FailConnection disposes the stream, which ends a pending read anyway.
                    _read = _reader.ReadLineAsync(CancellationToken.None).AsTask();
                }
                catch (Exception ex)
                {
                    _read = Task.FromException<string?>(ex);
                }
            }
            return _read;
        }
    }

    /// <summary>Dispatches a completed read, unless another reader already did; a failed read or the end of the stream closes the connection.</summary>
    private void Consume(Task<string?> read)
    {
        Exception reason;
        lock (_readGate)
        {
            if (!ReferenceEquals(_read, read)) return;
            _read = null;
            if (read.IsCompletedSuccessfully)
            {
                if (read.Result is { } line)
                {
                    TraceLine("<- " + line);
                    if (!string.IsNullOrWhiteSpace(line)) Dispatch(line);
                    return;
                }
                reason = new MonitorConnectionException($"The QMP connection '{Endpoint}' was closed by QEMU (did the process exit?).");
            }
            else if (_lifetime.IsCancellationRequested)
            {
                return; // closed on purpose; FailConnection already ran
            }
            else
            {
                var error = read.Exception?.GetBaseException() ?? new OperationCanceledException();
                reason = new MonitorConnectionException($"Reading from the QMP connection '{Endpoint}' failed: {error.Message}", error);
            }
        }
        FailConnection(reason);
    }

    /// <summary>Runs a human monitor (HMP) command line, e.g. <c>info pci</c>, and returns its text output.</summary>
    public async Task<string> HumanMonitorCommandAsync(string commandLine, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        var result = await ExecuteAsync("human-monitor-command", new JsonObject { ["command-line"] = commandLine }, timeout, ct).ConfigureAwait(false);
        return result is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : throw new MonitorException($"human-monitor-command '{commandLine}' returned {result?.ToJsonString() ?? "null"} instead of text.");
    }

    /// <summary>Shortcut for <see cref="QmpEventLog.WaitForEventAsync"/> on <see cref="Events"/>.</summary>
    public Task<QmpEvent> WaitForEventAsync(string name, Func<QmpEvent, bool>? predicate = null, long afterSequence = 0, TimeSpan? timeout = null, CancellationToken ct = default) =>
        Events.WaitForEventAsync(name, predicate, afterSequence, timeout ?? DefaultTimeout, ct);

    private static byte[] EncodeCommand(string command, JsonObject? arguments, long id)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("execute", command);
            if (arguments is not null)
            {
                // WriteTo, not adding the node: the caller's JsonObject may belong to another tree.
                json.WritePropertyName("arguments");
                arguments.WriteTo(json);
            }
            json.WriteNumber("id", id);
            json.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private async Task SendAsync(byte[] line, string command, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_closeReason is { } reason) throw ConnectionClosed($"Cannot send '{command}'", reason);
            if (Trace is not null) TraceLine("-> " + Encoding.UTF8.GetString(line, 0, line.Length - 1));
            try
            {
                await _stream.WriteAsync(line, ct).ConfigureAwait(false);
                await _stream.FlushAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex)
            {
                // Part of the line may be on the wire; whatever follows would be misparsed, so the connection is done.
                FailConnection(new MonitorConnectionException($"Sending '{command}' to '{Endpoint}' was interrupted; the connection was closed because its state is unknown.", ex));
                throw;
            }
            catch (Exception ex)
            {
                FailConnection(new MonitorConnectionException($"Sending '{command}' to '{Endpoint}' failed: {ex.Message}", ex));
                throw ConnectionClosed($"Cannot send '{command}'", _closeReason!);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static JsonNode? InterpretReply(string command, JsonObject reply)
    {
        if (reply.TryGetPropertyValue("error", out var errorNode))
        {
            var error = errorNode as JsonObject;
            throw new MonitorCommandException(command, AsText(error?["class"]) ?? "UnknownError", AsText(error?["desc"]) ?? errorNode?.ToJsonString() ?? "");
        }
        if (reply.TryGetPropertyValue("return", out var result))
        {
            reply.Remove("return"); // detached, so the caller may put it into its own JSON trees
            return result;
        }
        throw new MonitorException($"The QMP reply to '{command}' has neither 'return' nor 'error': {QmpGreeting.Shorten(reply.ToJsonString())}");
    }

    /// <summary>
    /// The event pump: reads while no command waits for a reply, so events arrive in
    /// <see cref="Events"/> even when nobody calls. Not a task of its own but a continuation on the
    /// outstanding read, run synchronously where the read completes: attached before any command
    /// awaits that read, it runs first and, while a command waits, returns at once, leaving the line
    /// to the command's own continuation (no thread hop, no extra wake-up per command).
    /// </summary>
    private void ResumePump()
    {
        while (true)
        {
            Task<string?>? read;
            lock (_readGate)
            {
                if (_inlineReaders > 0) return;
                read = CurrentRead();
                if (read is null) return; // closed
                if (!read.IsCompleted)
                {
                    if (ReferenceEquals(_pumpWatches, read)) return;
                    _pumpWatches = read;
                }
            }
            if (!read.IsCompleted)
            {
                read.ContinueWith(static (_, state) => ((QmpClient)state!).ResumePump(), this,
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                return;
            }
            Consume(read); // then loop: the next line may already be buffered
        }
    }

    private void Dispatch(string line)
    {
        JsonObject message;
        try
        {
            if (JsonNode.Parse(line) is not JsonObject parsed)
            {
                Ignore("not a JSON object", line);
                return;
            }
            message = parsed;
        }
        catch (JsonException ex)
        {
            Ignore("not JSON (" + ex.Message + ")", line);
            return;
        }

        if (message.TryGetPropertyValue("event", out var eventName))
        {
            if (AsText(eventName) is not { Length: > 0 } name)
            {
                Ignore("event without a name", line);
                return;
            }
            var data = message["data"] as JsonObject;
            if (data is not null) message.Remove("data");
            var logged = Events.Append(name, data, QmpEvent.ParseTimestamp(message["timestamp"], DateTimeOffset.UtcNow));
            RaiseEventReceived(logged);
            return;
        }

        // QEMU echoes our id; replies without one answer input it could not parse, which we never send.
        PendingCommand? waiting = null;
        if (message["id"] is JsonValue idValue && idValue.TryGetValue<long>(out var id))
        {
            lock (_gate)
            {
                _pending.Remove(id, out waiting);
            }
        }
        if (waiting is null)
        {
            Ignore("a reply nobody waits for (timed out or cancelled?)", line);
            return;
        }
        waiting.Reply.TrySetResult(message);
    }

    private void RaiseEventReceived(QmpEvent logged)
    {
        var handlers = EventReceived;
        if (handlers is null) return;
        foreach (EventHandler<QmpEvent> handler in handlers.GetInvocationList())
        {
            try
            {
                handler(this, logged);
            }
            catch (Exception ex)
            {
                // A faulty subscriber must not stop the reader (and with it every command).
                TraceLine($"!! EventReceived handler threw for {logged.Name}: {ex}");
            }
        }
    }

    private void Ignore(string why, string line)
    {
        Interlocked.Increment(ref _ignoredLineCount);
        TraceLine($"!! ignored line, {why}: {QmpGreeting.Shorten(line)}");
    }

    /// <summary>Ends the connection once: stops the reader, closes the stream, fails every waiter.</summary>
    private void FailConnection(Exception reason)
    {
        PendingCommand[] orphaned;
        lock (_gate)
        {
            if (_closeReason is not null) return;
            _closeReason = reason;
            orphaned = _pending.Values.ToArray();
            _pending.Clear();
        }

        TraceLine("!! closed: " + reason.Message);
        _lifetime.Cancel();
        try
        {
            _stream.Dispose(); // also unblocks a reader or writer stuck in the socket
        }
        catch (Exception ex)
        {
            TraceLine("!! closing the stream failed: " + ex.Message);
        }

        foreach (var command in orphaned)
            command.Reply.TrySetException(ConnectionClosed($"No reply to '{command.Name}'", reason));
        Events.Close(reason);
        _closed.TrySetResult();
    }

    private MonitorConnectionException ConnectionClosed(string what, Exception reason) =>
        new($"{what}: the QMP connection '{Endpoint}' is closed. {reason.Message}", reason);

    private void TraceLine(string text)
    {
        var trace = Trace;
        if (trace is null) return;
        try
        {
            trace(text);
        }
        catch
        {
            // Tracing is best effort (e.g. a test's output helper after the test ended).
        }
    }

    private static string? AsText(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            FailConnection(new MonitorConnectionException($"The QMP connection '{Endpoint}' was closed by the client."));
        try
        {
            // The outstanding read must end before its reader is disposed. Bounded, because a custom
            // stream might not abort a pending read when disposed; a socket always does.
            Task? read;
            lock (_readGate) read = _read;
            if (read is not null) await read.ContinueWith(static _ => { }, TaskScheduler.Default).WaitAsync(ReaderStopTimeout).ConfigureAwait(false);
            _reader.Dispose();
        }
        catch (TimeoutException)
        {
            TraceLine($"!! the reader of '{Endpoint}' did not stop within {ReaderStopTimeout.TotalSeconds} s of closing the stream.");
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private sealed class PendingCommand
    {
        public PendingCommand(string name) => Name = name;

        public string Name { get; }

        public TaskCompletionSource<JsonObject> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
