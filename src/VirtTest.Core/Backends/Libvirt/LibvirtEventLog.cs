using System.Text.Json.Nodes;
using VirtTest.Core.Monitor;

namespace VirtTest.Core.Backends.Libvirt;

/// <summary>
/// The domain events libvirt delivered for one VM, under the names QEMU's QMP uses
/// (STOP, RESUME, SHUTDOWN, DEVICE_DELETED) so tests wait for them the same way on both
/// backends. Filled from the event loop thread, read from any.
/// </summary>
internal sealed class LibvirtEventLog
{
    private readonly object _gate = new();
    private readonly List<MonitorEvent> _events = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sequence;

    // virDomainEventType
    private const int Suspended = 3, Resumed = 4, Stopped = 5, Shutdown = 6;

    /// <summary>Called with each libvirt lifecycle event (type and detail as libvirt numbers them).</summary>
    public void AddLifecycle(int eventType, int detail)
    {
        var name = eventType switch
        {
            Suspended => "STOP",
            Resumed => "RESUME",
            Shutdown => "SHUTDOWN",
            Stopped => "LIBVIRT_STOPPED",
            _ => null,
        };
        if (name is null) return;
        Add(name, new JsonObject { ["libvirt_event"] = eventType, ["libvirt_detail"] = detail });
    }

    /// <summary>Called when libvirt reports a device gone; the alias is given as the device id was.</summary>
    public void AddDeviceRemoved(string alias) =>
        Add("DEVICE_DELETED", new JsonObject { ["device"] = LibvirtMonitor.IdFromAlias(alias), ["libvirt_alias"] = alias });

    /// <summary>
    /// Called with libvirt's block job events (BLOCK_JOB_2: the disk's target), under QMP's names:
    /// BLOCK_JOB_READY, BLOCK_JOB_COMPLETED (with an error for a failed job), BLOCK_JOB_CANCELLED.
    /// </summary>
    public void AddBlockJob(string disk, int type, int status)
    {
        var data = new JsonObject { ["device"] = disk, ["libvirt_type"] = type, ["libvirt_status"] = status };
        switch (status)
        {
            case LibvirtNative.VIR_DOMAIN_BLOCK_JOB_READY:
                Add("BLOCK_JOB_READY", data);
                break;
            case LibvirtNative.VIR_DOMAIN_BLOCK_JOB_COMPLETED:
                Add("BLOCK_JOB_COMPLETED", data);
                break;
            case LibvirtNative.VIR_DOMAIN_BLOCK_JOB_FAILED:
                // libvirt's event carries no reason; the domain's log has QEMU's.
                data["error"] = "libvirt reported the block job failed";
                Add("BLOCK_JOB_COMPLETED", data);
                break;
            case LibvirtNative.VIR_DOMAIN_BLOCK_JOB_CANCELED:
                Add("BLOCK_JOB_CANCELLED", data);
                break;
        }
    }

    private void Add(string name, JsonObject data)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _events.Add(new MonitorEvent(name, data, DateTimeOffset.UtcNow, ++_sequence));
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    public IReadOnlyList<MonitorEvent> Snapshot() { lock (_gate) return _events.ToList(); }

    public long LastSequence { get { lock (_gate) return _sequence; } }

    public async Task<MonitorEvent> WaitForEventAsync(string name, Func<MonitorEvent, bool>? predicate, long afterSequence, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                var found = _events.FirstOrDefault(e => e.Sequence > afterSequence && e.Name == name && (predicate is null || predicate(e)));
                if (found is not null) return found;
                changed = _changed.Task;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new MonitorTimeoutException($"event {name}", timeout);
            try
            {
                await changed.WaitAsync(left, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Loop once more: the deadline check above raises the typed timeout.
            }
        }
    }
}
