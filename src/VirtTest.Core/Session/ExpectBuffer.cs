using System.Text;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Session;

/// <summary>
/// Text received from a guest, cleaned of escape sequences and carriage returns as it
/// arrives, and read expect-style: wait until the unread text matches, then consume it up to
/// the end of the match. Every wait has one overall deadline (not reset by each byte) and
/// observes a cancellation token.
/// </summary>
public sealed class ExpectBuffer
{
    private readonly object _gate = new();
    private readonly StringBuilder _text = new();
    private readonly string _name;
    private string _pendingRaw = "";
    private int _consumed;
    private Exception? _closed;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ExpectBuffer(string sessionName) => _name = sessionName;

    /// <summary>Called with every cleaned chunk (for console logs).</summary>
    public Action<string>? Received { get; set; }

    /// <summary>Adds raw text from the transport.</summary>
    public void Append(string raw)
    {
        string clean;
        lock (_gate)
        {
            var (complete, pending) = TerminalText.SplitPending(_pendingRaw + raw);
            _pendingRaw = pending;
            clean = TerminalText.Clean(complete);
            if (clean.Length == 0) return;
            _text.Append(clean);
        }
        Received?.Invoke(clean);
        Signal();
    }

    /// <summary>Marks the stream as ended; waits fail with <see cref="SessionClosedException"/> once the text is used up.</summary>
    public void Close(Exception reason)
    {
        lock (_gate) _closed ??= reason;
        Signal();
    }

    public bool IsClosed { get { lock (_gate) return _closed is not null; } }

    private void Signal()
    {
        TaskCompletionSource old;
        lock (_gate)
        {
            old = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        old.TrySetResult();
    }

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
            _consumed = 0;
        }
    }

    /// <summary>Waits until the unread text matches <paramref name="pattern"/>.</summary>
    public Task<ExpectResult> ReadUntilAsync(Regex pattern, TimeSpan timeout, CancellationToken ct, string? what = null) =>
        WaitAsync(text => pattern.Match(text) is { Success: true } m ? m : null, timeout, ct, what ?? $"'{pattern}'");

    /// <summary>Waits until the last line of the unread text matches <paramref name="pattern"/> (a prompt).</summary>
    public Task<ExpectResult> ReadUntilLastLineMatchesAsync(Regex pattern, TimeSpan timeout, CancellationToken ct, string? what = null) =>
        WaitAsync(text =>
        {
            var start = text.LastIndexOf('\n') + 1;
            var m = pattern.Match(text, start);
            return m.Success && m.Index + m.Length == text.Length ? m : null;
        }, timeout, ct, what ?? $"a last line matching '{pattern}'");

    private async Task<ExpectResult> WaitAsync(Func<string, Match?> test, TimeSpan timeout, CancellationToken ct, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var text = _text.ToString(_consumed, _text.Length - _consumed);
                var m = test(text);
                if (m is not null)
                {
                    Compact(_consumed + m.Index + m.Length);
                    return new ExpectResult(m.Value, m.Groups.Cast<Group>().Skip(1).Select(g => g.Value).ToList(), text[..m.Index]);
                }
                if (_closed is not null)
                    throw new SessionClosedException(_name, $"{_name} closed while waiting for {what}: {_closed.Message}. Last output: {SessionTimeoutException.Tail(text)}", _closed);
                if (DateTime.UtcNow >= deadline) throw new SessionTimeoutException(_name, what, timeout, text);
                changed = _changed.Task;
            }
            var left = deadline - DateTime.UtcNow;
            if (left > TimeSpan.Zero)
            {
                try
                {
                    await changed.WaitAsync(left, ct).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // loop once more: the deadline check above reports it with the text received
                }
            }
        }
    }
}
