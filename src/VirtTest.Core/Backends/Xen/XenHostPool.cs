namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// One <see cref="XlSshRunner"/> (one SSH connection) per Xen host and login, shared by the VMs
/// on it: each VM holds a lease from its creation until it is disposed, and a connection no VM
/// holds is closed after <see cref="Linger"/> (so VMs started one after another reuse it). At
/// process exit the connections still open are closed (removing the files copied to the hosts),
/// waiting a few seconds at most.
/// </summary>
internal sealed class XenHostPool
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public XenHostPool(TimeSpan? linger = null)
    {
        Linger = linger ?? TimeSpan.FromSeconds(15);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => CloseAll(TimeSpan.FromSeconds(5));
    }

    public TimeSpan Linger { get; }

    /// <summary>The number of hosts with a runner (open or about to close).</summary>
    public int Count { get { lock (_gate) return _entries.Count; } }

    public XlRunnerLease Acquire(XenHostTarget target)
    {
        var key = target.ConnectionKey;
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                entry = new Entry(new XlSshRunner(target));
                _entries[key] = entry;
            }
            entry.Leases++;
            entry.CloseTimer?.Dispose();
            entry.CloseTimer = null;
            return new XlRunnerLease(entry.Runner, () => Release(key, entry));
        }
    }

    private void Release(string key, Entry entry)
    {
        lock (_gate)
        {
            if (--entry.Leases > 0) return;
            entry.CloseTimer = new Timer(_ => Close(key, entry), null, Linger, Timeout.InfiniteTimeSpan);
        }
    }

    private void Close(string key, Entry entry)
    {
        lock (_gate)
        {
            if (entry.Leases > 0 || !_entries.TryGetValue(key, out var current) || current != entry) return;
            _entries.Remove(key);
            entry.CloseTimer?.Dispose();
            entry.CloseTimer = null;
        }
        _ = entry.Runner.DisposeAsync().AsTask();
    }

    /// <summary>Closes every runner now, leased or not (process exit), within <paramref name="limit"/>.</summary>
    private void CloseAll(TimeSpan limit)
    {
        List<Entry> entries;
        lock (_gate)
        {
            entries = _entries.Values.ToList();
            _entries.Clear();
            foreach (var e in entries) e.CloseTimer?.Dispose();
        }
        if (entries.Count == 0) return;
        try { Task.WhenAll(entries.Select(e => e.Runner.DisposeAsync().AsTask())).Wait(limit); }
        catch (AggregateException) { /* the hosts are gone: nothing more to remove from here */ }
    }

    private sealed class Entry
    {
        public Entry(XlSshRunner runner) => Runner = runner;
        public XlSshRunner Runner { get; }
        public int Leases;
        public Timer? CloseTimer;
    }
}

/// <summary>A VM's hold on the runner of its Xen host; disposing it (once) lets the connection close.</summary>
internal sealed class XlRunnerLease : IDisposable
{
    private Action? _release;

    public XlRunnerLease(IXlRunner runner, Action? release)
    {
        Runner = runner;
        _release = release;
    }

    public IXlRunner Runner { get; }

    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}
