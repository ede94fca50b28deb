using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Session;

/// <summary>
/// A shell on one byte stream both ways (a serial console's socket, the remote shell agent's
/// TCP connection): a reader feeds the expect buffer, and commands are typed as one framed
/// line each (<see cref="ShellDialect.FrameCommand"/>), their output and status read back
/// between the markers. One command at a time; a command past its deadline or cancelled is
/// interrupted (Ctrl+C, then Enter and the prompt), so the session stays usable.
/// </summary>
public abstract class StreamShellSession : GuestSession
{
    /// <summary>
    /// Deliberately process-wide (Interlocked, thread-safe): a marker must never match text
    /// another session, runspace or an earlier command left in a console, so every session of
    /// the process draws from one sequence.
    /// </summary>
    private static int _markerCounter;
    private readonly Stream _stream;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _commandLock = new(1, 1);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private Task _reader = Task.CompletedTask;

    protected StreamShellSession(Stream stream, string name, SessionTransport transport, Regex prompt, ShellDialect dialect)
        : base(name, transport, prompt, dialect)
    {
        _stream = stream;
    }

    /// <summary>Starts reading the stream (once the derived class has set up its hooks).</summary>
    protected void StartReading() => _reader = Task.Run(ReadLoopAsync);

    public override bool IsOpen => !Buffer.IsClosed;

    private async Task ReadLoopAsync()
    {
        var bytes = new byte[16384];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        var decoder = Encoding.UTF8.GetDecoder();
        try
        {
            while (true)
            {
                var n = await _stream.ReadAsync(bytes, _stop.Token).ConfigureAwait(false);
                if (n == 0) throw new IOException(ClosedByPeer);
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

    /// <summary>Why the stream ended when the other side closed it.</summary>
    protected abstract string ClosedByPeer { get; }

    public override async Task SendAsync(string text, CancellationToken ct = default)
    {
        if (!IsOpen) throw new SessionClosedException(Name, $"{Name} is closed.");
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            OnWriting();
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

    /// <summary>
    /// Writes raw bytes outside <see cref="SendAsync"/>'s bookkeeping, under the same lock;
    /// <paramref name="stillWanted"/> is decided under the lock (nothing can slip in between).
    /// </summary>
    protected async Task WriteIfAsync(Func<bool> stillWanted, string text)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!stillWanted()) return;
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(text)).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>When text was last written (Stopwatch ticks), for <see cref="CloseAsync"/>.</summary>
    private long _lastWrite;

    /// <summary>
    /// How long a close waits after the last write before it drops the stream, so that text
    /// just typed (a reboot or poweroff before closing) reaches the other side.
    /// </summary>
    protected virtual TimeSpan DrainTime => TimeSpan.Zero;

    /// <summary>Called under the write lock before text is written (serial consoles track cursor queries).</summary>
    protected virtual void OnWriting() { }

    /// <summary>Called before a command line is typed, with the command's deadline.</summary>
    protected virtual Task BeforeCommandAsync(DateTime deadline, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Called once the shell has read a line and is back at its prompt (position: where the buffer was read up to).</summary>
    protected virtual void AfterShellReadLine(long position) { }

    /// <summary>Presses Enter and waits for the shell prompt (the guest may have printed it long ago).</summary>
    public async Task WaitForPromptAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        Buffer.Discard();
        await SendLineAsync("", ct).ConfigureAwait(false);
        await ReadUntilPromptAsync(timeout, null, ct).ConfigureAwait(false);
        AfterShellReadLine(Buffer.ReadPosition);
    }

    protected override async Task<(int Status, string Output)> RunCommandAsync(string command, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        await _commandLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var id = Base36(Interlocked.Increment(ref _markerCounter));
            await BeforeCommandAsync(deadline, ct).ConfigureAwait(false);
            Buffer.Discard();
            // One line: a second one would be typed while the first runs (and a shell reading
            // from a pipe may drop it).
            await SendLineAsync(Dialect.FrameCommand(command, id), ct).ConfigureAwait(false);
            try
            {
                await Buffer.ReadUntilAsync(Dialect.StartMarker(id), Left(deadline), ct, $"the start of '{command}'").ConfigureAwait(false);
                var end = await Buffer.ReadUntilAsync(Dialect.EndMarker(id), Left(deadline), ct, $"the end of '{command}'").ConfigureAwait(false);
                AfterShellReadLine(Buffer.ReadPosition);
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

    /// <summary>
    /// Ctrl+C, then a line that prints a marker, and wait for it: once it shows, the shell has
    /// read everything before, so the session is usable again after a command that hung. (A bare
    /// Enter and the prompt are not enough: the prompt after the interrupted command looks the
    /// same, and a shell reading a pipe, as Wine's cmd.exe does, drops a line typed while an
    /// earlier one is still unread.)
    /// </summary>
    private async Task InterruptAsync()
    {
        try
        {
            await SendAsync(Dialect.Interrupt).ConfigureAwait(false);
            await Task.Delay(100).ConfigureAwait(false);
            var id = Base36(Interlocked.Increment(ref _markerCounter));
            await SendLineAsync(Dialect.FrameSync(id)).ConfigureAwait(false);
            await Buffer.ReadUntilAsync(Dialect.SyncMarker(id), TimeSpan.FromSeconds(10), CancellationToken.None, "the shell after Ctrl+C").ConfigureAwait(false);
            Buffer.Discard();
        }
        catch (SessionException)
        {
            // The shell does not come back: leave it; the caller's error says what timed out.
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

    protected static TimeSpan Left(DateTime deadline)
    {
        var left = deadline - DateTime.UtcNow;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>Extra cleanup of the derived class, after the stream is closed and the reader ended.</summary>
    protected virtual void OnClosed() { }

    protected override async ValueTask CloseAsync()
    {
        if (Volatile.Read(ref _lastWrite) is var last and > 0 && System.Diagnostics.Stopwatch.GetElapsedTime(last) is var since && since < DrainTime)
        {
            await Task.Delay(DrainTime - since).ConfigureAwait(false);
        }
        _stop.Cancel();
        // Disposing the stream ends a read that does not observe the token.
        await _stream.DisposeAsync().ConfigureAwait(false);
        try { await _reader.ConfigureAwait(false); } catch { /* the reader ends with the stream */ }
        OnClosed();
        _commandLock.Dispose();
    }
}
