using System.Text.Json.Nodes;
using VirtTest.Core.Monitor;

namespace VirtTest.Core.Backends.Qemu;

/// <summary>
/// Every event received on one QMP connection, in order of receipt, bounded to the most
/// recent <see cref="Capacity"/>. Thread safe. Tests use it to wait for an event that may
/// already have arrived: remember <see cref="LastSequence"/> before acting, then wait for
/// an event after it.
/// </summary>
public sealed class QmpEventLog
{
    public const int DefaultCapacity = 10_000;

    private readonly object _gate = new();
    private readonly Queue<QmpEvent> _events = new();
    private readonly List<EventWaiter> _waiters = new();
    private long _lastSequence;
    private Exception? _closeReason;

    public QmpEventLog(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    /// <summary>How many events are kept; older ones are dropped.</summary>
    public int Capacity { get; }

    /// <summary>The timeout of <see cref="WaitForEventAsync"/> when none is given.</summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The sequence number of the newest event, 0 before any.</summary>
    public long LastSequence
    {
        get { lock (_gate) return _lastSequence; }
    }

    public int Count
    {
        get { lock (_gate) return _events.Count; }
    }

    /// <summary>True once the connection feeding the log has closed: no new events will come.</summary>
    public bool IsClosed
    {
        get { lock (_gate) return _closeReason is not null; }
    }

    /// <summary>Waiters currently blocked in <see cref="WaitForEventAsync"/> (for leak checks).</summary>
    internal int PendingWaiterCount
    {
        get { lock (_gate) return _waiters.Count; }
    }

    /// <summary>A copy of the kept events, oldest first.</summary>
    public IReadOnlyList<QmpEvent> Snapshot()
    {
        lock (_gate) return _events.ToArray();
    }

    /// <summary>
    /// Returns the first event named <paramref name="name"/> with a sequence number above
    /// <paramref name="afterSequence"/> that matches <paramref name="predicate"/>: one already
    /// logged, or else the next to arrive.
    /// </summary>
    /// <exception cref="MonitorTimeoutException">No such event within the timeout.</exception>
    /// <exception cref="MonitorConnectionException">The connection closed before such an event arrived.</exception>
    public async Task<QmpEvent> WaitForEventAsync(
        string name,
        Func<QmpEvent, bool>? predicate = null,
        long afterSequence = 0,
        TimeSpan? timeout = null,
        CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var effectiveTimeout = timeout ?? DefaultTimeout;
        var waiter = new EventWaiter(name, predicate, afterSequence);

        lock (_gate)
        {
            foreach (var logged in _events)
            {
                if (waiter.Matches(logged)) return logged;
            }
            if (_closeReason is not null) throw EventWillNotArrive(name, _closeReason);
            _waiters.Add(waiter);
        }

        try
        {
            return await waiter.Result.Task.WaitAsync(effectiveTimeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new MonitorTimeoutException($"QMP event '{name}'", effectiveTimeout);
        }
        finally
        {
            lock (_gate) _waiters.Remove(waiter);
        }
    }

    /// <summary>Logs an event, assigns its sequence number and wakes the waiters it satisfies.</summary>
    internal QmpEvent Append(string name, JsonObject? data, DateTimeOffset timestamp)
    {
        // JsonObject parsed from text materializes lazily and is not safe for concurrent first reads,
        // so build it fully here, before several threads can see it.
        Materialize(data);

        List<EventWaiter>? satisfied = null;
        QmpEvent appended;
        lock (_gate)
        {
            appended = new QmpEvent(++_lastSequence, name, data, timestamp);
            _events.Enqueue(appended);
            if (_events.Count > Capacity) _events.Dequeue();

            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Matches(appended))
                {
                    (satisfied ??= new()).Add(_waiters[i]);
                    _waiters.RemoveAt(i);
                }
            }
        }

        if (satisfied is not null)
        {
            foreach (var waiter in satisfied) waiter.Result.TrySetResult(appended);
        }
        return appended;
    }

    /// <summary>No more events will come: fails the current waiters and makes later unmatched waits fail at once.</summary>
    internal void Close(Exception reason)
    {
        EventWaiter[] orphaned;
        lock (_gate)
        {
            if (_closeReason is not null) return;
            _closeReason = reason;
            orphaned = _waiters.ToArray();
            _waiters.Clear();
        }
        foreach (var waiter in orphaned) waiter.Result.TrySetException(EventWillNotArrive(waiter.Name, reason));
    }

    private static MonitorConnectionException EventWillNotArrive(string name, Exception reason) =>
        new($"QMP event '{name}' will not arrive: {reason.Message}", reason);

    private static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var member in obj) Materialize(member.Value);
                break;
            case JsonArray array:
                foreach (var item in array) Materialize(item);
                break;
        }
    }

    private sealed class EventWaiter
    {
        private readonly Func<QmpEvent, bool>? _predicate;
        private readonly long _afterSequence;

        public EventWaiter(string name, Func<QmpEvent, bool>? predicate, long afterSequence)
        {
            Name = name;
            _predicate = predicate;
            _afterSequence = afterSequence;
        }

        public string Name { get; }

        public TaskCompletionSource<QmpEvent> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Runs under the log's lock, so matching sees events strictly in order.</summary>
        public bool Matches(QmpEvent candidate)
        {
            if (candidate.Sequence <= _afterSequence || !string.Equals(candidate.Name, Name, StringComparison.Ordinal)) return false;
            if (_predicate is null) return true;
            try
            {
                return _predicate(candidate);
            }
            catch (Exception ex)
            {
                // A throwing predicate fails its own wait, not the connection's reader.
                Result.TrySetException(ex);
                return false;
            }
        }
    }
}
