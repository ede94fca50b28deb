using System.Text;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Session;

/// <summary>
/// Text received from a guest, cleaned of escape sequences and carriage returns as it
/// arrives, and read expect-style: wait until the unread text matches, then consume it up to
/// the end of the match. Every wait has one overall deadline (not reset by each byte) and
/// observes a cancellation token.
/// </summary>
/// <remarks>
/// A waiter's pattern is tested where the text arrives (on the transport's reader thread), and the
/// waiter is woken only once it matched or the stream ended: not once per chunk, which on a serial
/// console that echoes typed text byte by byte would be dozens of thread hops per command.
/// Positions (<see cref="ReadPosition"/>, cursor queries) count cleaned characters since the buffer
/// was created, so they stay comparable after consumed text is dropped.
/// </remarks>
public sealed class ExpectBuffer
{
    private const string CursorPositionQuery = "\x1b[6n";
    /// <summary>
    /// How long a match that ends mid-line, where the text so far ends, waits for more text before
    /// it counts: the guest's output trickles in byte by byte, and '^rc=(\d+)$' must see "rc=130",
    /// not the "rc=13" that happens to have arrived first.
    /// </summary>
    private static readonly TimeSpan SettleTime = TimeSpan.FromMilliseconds(30);

    private readonly object _gate = new();
    private readonly StringBuilder _text = new();
    private readonly string _name;
    private readonly List<Waiter> _waiters = new();
    private string _pendingRaw = "";
    private int _consumed;
    private long _dropped; // characters removed from the front of _text
    private Exception? _closed;

    public ExpectBuffer(string sessionName) => _name = sessionName;

    /// <summary>Called with every cleaned chunk (for console logs).</summary>
    public Action<string>? Received { get; set; }

    /// <summary>
    /// Called when the guest asks the terminal where its cursor is (ESC[6n, which busybox's line
    /// editor sends after each prompt), with the position in the cleaned text where it asked.
    /// Called on the appending thread, after the text before the query is readable.
    /// </summary>
    public Action<long>? CursorPositionQueried { get; set; }

    /// <summary>Position just after the consumed text: where the next wait starts to look.</summary>
    public long ReadPosition
    {
        get { lock (_gate) return _dropped + _consumed; }
    }

    /// <summary>Adds raw text from the transport.</summary>
    public void Append(string raw)
    {
        string clean;
        List<long>? queries = null;
        lock (_gate)
        {
            var (complete, pending) = TerminalText.SplitPending(_pendingRaw + raw);
            _pendingRaw = pending;
            var query = complete.IndexOf(CursorPositionQuery, StringComparison.Ordinal);
            if (query < 0)
            {
                clean = TerminalText.Clean(complete);
            }
            else
            {
                // Clean piece by piece to know where in the cleaned text each query was.
                var sb = new StringBuilder();
                var start = 0;
                while (query >= 0)
                {
                    sb.Append(TerminalText.Clean(complete[start..query]));
                    (queries ??= new()).Add(_dropped + _text.Length + sb.Length);
                    start = query + CursorPositionQuery.Length;
                    query = complete.IndexOf(CursorPositionQuery, start, StringComparison.Ordinal);
                }
                sb.Append(TerminalText.Clean(complete[start..]));
                clean = sb.ToString();
            }
            if (clean.Length == 0 && queries is null) return;
            _text.Append(clean);
            MatchWaiters();
        }
        if (clean.Length > 0) Received?.Invoke(clean);
        if (queries is not null && CursorPositionQueried is { } queried)
        {
            foreach (var position in queries) queried(position);
        }
    }

    /// <summary>Marks the stream as ended; waits fail with <see cref="SessionClosedException"/> once the text is used up.</summary>
    public void Close(Exception reason)
    {
        lock (_gate)
        {
            _closed ??= reason;
            foreach (var w in _waiters) w.Done.TrySetResult(null); // each re-checks and reports the close with its own text
            _waiters.Clear();
        }
    }

    public bool IsClosed { get { lock (_gate) return _closed is not null; } }

    /// <summary>The unread text, without consuming it.</summary>
    public string Peek()
    {
        lock (_gate) return _text.ToString(_consumed, _text.Length - _consumed);
    }

    /// <summary>Drops everything unread (e.g. before sending a command).</summary>
    public string Discard()
    {
        lock (_gate)
        {
            var unread = _text.ToString(_consumed, _text.Length - _consumed);
            Compact(_text.Length);
            return unread;
        }
    }

    private void Compact(int consumedUpTo)
    {
        _consumed = consumedUpTo;
        if (_consumed > 64 * 1024)
        {
            _text.Remove(0, _consumed);
            _dropped += _consumed;
            _consumed = 0;
        }
    }

    /// <summary>Waits until the unread text matches <paramref name="pattern"/>.</summary>
    public Task<ExpectResult> ReadUntilAsync(Regex pattern, TimeSpan timeout, CancellationToken ct, string? what = null) =>
        WaitAsync(text => pattern.Match(text) is { Success: true } m ? m : null, timeout, ct, what ?? $"'{pattern}'", settle: true);

    /// <summary>Waits until the last line of the unread text matches <paramref name="pattern"/> (a prompt).</summary>
    public Task<ExpectResult> ReadUntilLastLineMatchesAsync(Regex pattern, TimeSpan timeout, CancellationToken ct, string? what = null) =>
        WaitAsync(text =>
        {
            var start = text.LastIndexOf('\n') + 1;
            var m = pattern.Match(text, start);
            return m.Success && m.Index + m.Length == text.Length ? m : null;
        }, timeout, ct, what ?? $"a last line matching '{pattern}'", settle: false);

    private async Task<ExpectResult> WaitAsync(Func<string, Match?> test, TimeSpan timeout, CancellationToken ct, string what, bool settle)
    {
        var deadline = DateTime.UtcNow + timeout;
        long tentativeEnd = -1; // where the text ended when a mid-line match was last seen there
        while (true)
        {
            Waiter waiter;
            var wait = deadline - DateTime.UtcNow;
            lock (_gate)
            {
                var text = _text.ToString(_consumed, _text.Length - _consumed);
                var end = _dropped + _text.Length;
                if (test(text) is { } m)
                {
                    if (!settle || !EndsMidLine(m, text) || tentativeEnd == end || _closed is not null || DateTime.UtcNow >= deadline)
                        return Consume(m, text);
                    tentativeEnd = end; // give the rest of the line a moment to arrive
                    if (wait > SettleTime) wait = SettleTime;
                }
                if (_closed is not null)
                    throw new SessionClosedException(_name, $"{_name} closed while waiting for {what}: {_closed.Message}. Last output: {SessionTimeoutException.Tail(text)}", _closed);
                if (DateTime.UtcNow >= deadline) throw new SessionTimeoutException(_name, what, timeout, text);
                waiter = new Waiter(test, settle);
                _waiters.Add(waiter);
            }
            try
            {
                if (await waiter.Done.Task.WaitAsync(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, ct).ConfigureAwait(false) is { } matched)
                    return matched;
                // null: closed (loop once more to report it with the text received) or a mid-line match to settle
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                lock (_gate)
                {
                    _waiters.Remove(waiter);
                    // Matched (and consumed) just as the wait ended: the text is the caller's, not lost.
                    if (waiter.Done.Task.IsCompletedSuccessfully && waiter.Done.Task.Result is { } late) return late;
                }
                if (ex is OperationCanceledException) throw;
                // timeout: loop once more; the deadline check above reports it with the text received
            }
        }
    }

    /// <summary>
    /// Tests the waiters against the new text, in the order they started waiting; each match consumes.
    /// Completed under the lock (continuations run elsewhere), so a waiter that times out at the same
    /// moment sees its match instead of losing the consumed text.
    /// </summary>
    private void MatchWaiters()
    {
        for (var i = 0; i < _waiters.Count; i++)
        {
            var text = _text.ToString(_consumed, _text.Length - _consumed);
            if (_waiters[i].Test(text) is not { } m) continue;
            // A mid-line match at the end: the waiter looks again itself, and takes it if no more text comes.
            _waiters[i].Done.TrySetResult(_waiters[i].Settle && EndsMidLine(m, text) ? null : Consume(m, text));
            _waiters.RemoveAt(i--);
        }
    }

    private static bool EndsMidLine(Match m, string text) =>
        m.Length > 0 && m.Index + m.Length == text.Length && text[^1] != '\n';

    private ExpectResult Consume(Match m, string text)
    {
        Compact(_consumed + m.Index + m.Length);
        return new ExpectResult(m.Value, m.Groups.Cast<Group>().Skip(1).Select(g => g.Value).ToList(), text[..m.Index]);
    }

    private sealed class Waiter
    {
        public Waiter(Func<string, Match?> test, bool settle)
        {
            Test = test;
            Settle = settle;
        }

        public Func<string, Match?> Test { get; }

        public bool Settle { get; }

        /// <summary>The match, or null when the stream closed or a mid-line match wants a second look.</summary>
        public TaskCompletionSource<ExpectResult?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
