using System.Globalization;
using System.Text.Json.Nodes;
using VirtTest.Core.Monitor;

namespace VirtTest.Core.Backends.Qemu;

/// <summary>The typed monitor operations of one QEMU instance, spoken over QMP.</summary>
internal sealed class QemuMonitor : IVmMonitor
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private static int _deviceCounter;
    private readonly QmpClient _qmp;

    public QemuMonitor(QmpClient qmp) => _qmp = qmp;

    public QmpClient Client => _qmp;

    public async Task<IReadOnlyList<PciDevice>> GetPciDevicesAsync(CancellationToken ct)
    {
        var reply = await _qmp.ExecuteAsync("query-pci", null, CommandTimeout, ct).ConfigureAwait(false);
        return QmpPciList.Parse(reply);
    }

    public async Task<PciDevice> AddPciDeviceAsync(PciDeviceSpec spec, TimeSpan timeout, CancellationToken ct)
    {
        var id = spec.Id ?? "virttest-dev" + Interlocked.Increment(ref _deviceCounter).ToString(CultureInfo.InvariantCulture);
        var args = new JsonObject { ["driver"] = spec.Model, ["id"] = id };
        foreach (var (key, value) in spec.Properties)
        {
            if (key is "driver" or "id") throw new ArgumentException($"Device property '{key}' is set through the model and id, not as a property.");
            args[key] = value;
        }
        var deadline = DateTime.UtcNow + timeout;
        await _qmp.ExecuteAsync("device_add", args, Remaining(deadline, timeout), ct).ConfigureAwait(false);
        // device_add returns once the device exists in QEMU; wait until the PCI bus lists it.
        while (true)
        {
            var found = (await GetPciDevicesAsync(ct).ConfigureAwait(false)).FirstOrDefault(d => d.QdevId == id);
            if (found is not null) return found;
            if (DateTime.UtcNow >= deadline) throw new MonitorTimeoutException($"device '{id}' ({spec.Model}) to appear in query-pci", timeout);
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    public async Task RemovePciDeviceAsync(string id, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        var after = _qmp.Events.LastSequence;
        await _qmp.ExecuteAsync("device_del", new JsonObject { ["id"] = id }, Remaining(deadline, timeout), ct).ConfigureAwait(false);
        try
        {
            await _qmp.Events.WaitForEventAsync("DEVICE_DELETED", e => EventString(e.Data, "device") == id, after, Remaining(deadline, timeout), ct).ConfigureAwait(false);
        }
        catch (MonitorTimeoutException)
        {
            throw new MonitorTimeoutException($"DEVICE_DELETED for '{id}' (the guest did not release the device; does it handle ACPI PCI hot-unplug?)", timeout);
        }
    }

    private static string? EventString(JsonObject? data, string member) =>
        data is not null && data.TryGetPropertyValue(member, out var n) && n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static TimeSpan Remaining(DateTime deadline, TimeSpan total)
    {
        var left = deadline - DateTime.UtcNow;
        return left > TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100);
    }

    public async Task SaveScreenshotAsync(string pngPath, CancellationToken ct)
    {
        var full = Path.GetFullPath(pngPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        await _qmp.ExecuteAsync("screendump", new JsonObject { ["filename"] = full, ["format"] = "png" }, CommandTimeout, ct).ConfigureAwait(false);
        if (!File.Exists(full)) throw new MonitorException($"screendump reported success but wrote no file at {full}.");
    }

    public Task SendKeysAsync(IReadOnlyList<string> keys, CancellationToken ct)
    {
        if (keys.Count == 0) throw new ArgumentException("At least one key is required.", nameof(keys));
        var array = new JsonArray();
        foreach (var k in keys) array.Add(new JsonObject { ["type"] = "qcode", ["data"] = k });
        return _qmp.ExecuteAsync("send-key", new JsonObject { ["keys"] = array }, CommandTimeout, ct);
    }

    public Task MoveMouseAsync(int dx, int dy, CancellationToken ct)
    {
        var events = new JsonArray
        {
            new JsonObject { ["type"] = "rel", ["data"] = new JsonObject { ["axis"] = "x", ["value"] = dx } },
            new JsonObject { ["type"] = "rel", ["data"] = new JsonObject { ["axis"] = "y", ["value"] = dy } },
        };
        return _qmp.ExecuteAsync("input-send-event", new JsonObject { ["events"] = events }, CommandTimeout, ct);
    }

    public Task SystemResetAsync(CancellationToken ct) => _qmp.ExecuteAsync("system_reset", null, CommandTimeout, ct);

    public Task SystemPowerdownAsync(CancellationToken ct) => _qmp.ExecuteAsync("system_powerdown", null, CommandTimeout, ct);

    public IReadOnlyList<MonitorEvent> Events => _qmp.Events.Snapshot().Select(ToMonitorEvent).ToList();

    public long LastEventSequence => _qmp.Events.LastSequence;

    public async Task<MonitorEvent> WaitForEventAsync(string name, Func<MonitorEvent, bool>? predicate, long afterSequence, TimeSpan timeout, CancellationToken ct)
    {
        var e = await _qmp.Events.WaitForEventAsync(name, predicate is null ? null : q => predicate(ToMonitorEvent(q)), afterSequence, timeout, ct).ConfigureAwait(false);
        return ToMonitorEvent(e);
    }

    private static MonitorEvent ToMonitorEvent(QmpEvent e) => new(e.Name, e.Data, e.Timestamp, e.Sequence);

    public Task<JsonNode?> InvokeRawAsync(string command, JsonObject? arguments, TimeSpan timeout, CancellationToken ct) =>
        _qmp.ExecuteAsync(command, arguments, timeout, ct);

    public Task<string> InvokeHumanAsync(string commandLine, TimeSpan timeout, CancellationToken ct) =>
        _qmp.HumanMonitorCommandAsync(commandLine, timeout, ct);
}
