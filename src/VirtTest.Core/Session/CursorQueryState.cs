namespace VirtTest.Core.Session;

/// <summary>
/// Decides when a serial session may answer the guest's cursor position query (ESC[6n).
/// </summary>
/// <remarks>
/// An answer is bytes typed into the guest's terminal. Sent while the line editor waits for input,
/// it is consumed there; sent after a command line the shell has not yet run, it would be read by
/// that command instead. So an answer is due only for a query that came after a point where the
/// shell was known to be back at its prompt (<see cref="Arm"/>: a command's end marker, a prompt),
/// and only until anything else is written (<see cref="Wrote"/>). Positions are those of
/// <see cref="ExpectBuffer"/>'s cleaned text. Thread-safe: the reader reports queries, commands arm.
/// </remarks>
internal sealed class CursorQueryState
{
    private readonly object _gate = new();
    private long _armedAt = -1;      // answer a query at or after this position; -1: not armed
    private long _lastQueryAt = -1;
    private bool _shellAsks;         // seen asking after a prompt: worth waiting for its query
    private TaskCompletionSource? _answered;
    private int _answers;

    /// <summary>How many queries were answered so far.</summary>
    public int Answers => Volatile.Read(ref _answers);

    /// <summary>The guest asked at <paramref name="position"/>; true when the answer is due now.</summary>
    public bool Queried(long position)
    {
        lock (_gate)
        {
            _lastQueryAt = position;
            _shellAsks = true;
            return IsDue();
        }
    }

    /// <summary>The shell is back at its prompt from <paramref name="position"/> on; true when a query there already came.</summary>
    public bool Arm(long position)
    {
        lock (_gate)
        {
            _armedAt = position;
            _answered ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return IsDue();
        }
    }

    /// <summary>Called under the session's write lock right before answering: true (once) if the answer is still due.</summary>
    public bool TakeDueAnswer()
    {
        lock (_gate)
        {
            if (!IsDue()) return false;
            Disarm();
            _answers++;
            return true;
        }
    }

    /// <summary>Something else is being written: an answer from now on could land in it.</summary>
    public void Wrote()
    {
        lock (_gate) Disarm();
    }

    /// <summary>Completes when the awaited query was answered (or given up), or null when none is awaited.</summary>
    public Task? PendingAnswer()
    {
        lock (_gate) return _armedAt >= 0 && _shellAsks ? _answered?.Task : null;
    }

    /// <summary>The shell did not ask when expected: stop waiting for it until it asks again.</summary>
    public void StopExpecting()
    {
        lock (_gate) _shellAsks = false;
    }

    private bool IsDue() => _armedAt >= 0 && _lastQueryAt >= _armedAt;

    private void Disarm()
    {
        _armedAt = -1;
        _answered?.TrySetResult();
        _answered = null;
    }
}
