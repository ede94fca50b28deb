using System.Text.Json.Nodes;
using VirtTest.Core.Monitor;

namespace VirtTest.Core.Backends.Qemu;

/// <summary>The typed monitor operations of one QEMU instance, spoken over QMP.</summary>
internal sealed class QemuMonitor : IVmMonitor
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private readonly QmpClient _qmp;
    private readonly QmpOperations _operations;
    private readonly DeviceIdSequence _deviceIds;
    private readonly QemuNicHotplug? _nics;
    private readonly QemuBlockOperations _block;
    private readonly QemuCdromOperations _cdroms;

    public QemuMonitor(string vmName, QmpClient qmp, DeviceIdSequence deviceIds, QemuNicHotplug? nics = null, IReadOnlyDictionary<string, string>? cdromBuses = null)
    {
        _cdroms = new QemuCdromOperations(vmName, qmp, cdromBuses ?? new Dictionary<string, string>());
        _qmp = qmp;
        _deviceIds = deviceIds;
        _nics = nics;
        _operations = new QmpOperations((command, arguments, timeout, ct) => qmp.ExecuteAsync(command, arguments, timeout, ct));
        _block = new QemuBlockOperations(vmName, qmp, deviceIds);
    }

    public QmpClient Client => _qmp;

    public IVmDisks Disks => _block;

    public Task<IReadOnlyList<CdromDrive>> GetCdromsAsync(CancellationToken ct) => _cdroms.GetCdromsAsync(ct);

    public Task<CdromDrive> ChangeCdromAsync(string id, string? isoPath, CancellationToken ct) => _cdroms.ChangeCdromAsync(id, isoPath, ct);

    public Task<IReadOnlyList<PciDevice>> GetPciDevicesAsync(CancellationToken ct) => _operations.QueryPciAsync(ct);

    public async Task<PciDevice> AddPciDeviceAsync(PciDeviceSpec spec, TimeSpan timeout, CancellationToken ct)
    {
        var id = spec.Id ?? _deviceIds.Next();
        var args = new JsonObject { ["driver"] = spec.Model, ["id"] = id };
        var nic = _nics is not null && _nics.Handles(spec);
        foreach (var (key, value) in nic ? QemuNicHotplug.DeviceProperties(spec) : spec.Properties)
        {
            if (key is "driver" or "id") throw new ArgumentException($"Device property '{key}' is set through the model and id, not as a property.");
            args[key] = value;
        }
        var deadline = DateTime.UtcNow + timeout;
        // A network card gets its netdev (tap on a bridge, or user-mode) first, so it carries traffic.
        if (nic)
        {
            foreach (var (key, value) in await _nics!.AddNetdevAsync(_qmp, id, spec, ct).ConfigureAwait(false)) args[key] = value;
        }
        try
        {
            await _qmp.ExecuteAsync("device_add", args, PciDeviceWait.Remaining(deadline), ct).ConfigureAwait(false);
        }
        catch when (nic)
        {
            await _nics!.RemoveNetdevAsync(_qmp, id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        // device_add returns once the device exists in QEMU; wait until the PCI bus lists it.
        return await PciDeviceWait.UntilListedAsync(GetPciDevicesAsync, id, spec.Model, deadline, timeout, ct).ConfigureAwait(false);
    }

    public async Task RemovePciDeviceAsync(string id, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        var after = _qmp.Events.LastSequence;
        await _qmp.ExecuteAsync("device_del", new JsonObject { ["id"] = id }, PciDeviceWait.Remaining(deadline), ct).ConfigureAwait(false);
        try
        {
            await _qmp.Events.WaitForEventAsync("DEVICE_DELETED", e => EventString(e.Data, "device") == id, after, PciDeviceWait.Remaining(deadline), ct).ConfigureAwait(false);
        }
        catch (MonitorTimeoutException)
        {
            throw new MonitorTimeoutException($"DEVICE_DELETED for '{id}' (the guest did not release the device; does it handle ACPI PCI hot-unplug?)", timeout);
        }
        // The card is gone: its netdev and tap go too.
        if (_nics is not null) await _nics.RemoveNetdevAsync(_qmp, id, ct).ConfigureAwait(false);
    }

    private static string? EventString(JsonObject? data, string member) =>
        data is not null && data.TryGetPropertyValue(member, out var n) && n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public async Task SaveScreenshotAsync(string pngPath, CancellationToken ct)
    {
        var full = Path.GetFullPath(pngPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        await _qmp.ExecuteAsync("screendump", new JsonObject { ["filename"] = full, ["format"] = "png" }, CommandTimeout, ct).ConfigureAwait(false);
        if (!File.Exists(full)) throw new MonitorException($"screendump reported success but wrote no file at {full}.");
    }

    public Task SendKeysAsync(IReadOnlyList<string> keys, CancellationToken ct) => _operations.SendKeysAsync(keys, ct);

    public Task MoveMouseAsync(int dx, int dy, CancellationToken ct) => _operations.MoveMouseAsync(dx, dy, ct);

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

    public Task<IReadOnlyList<string>> ListRawCommandsAsync(CancellationToken ct) => _operations.ListCommandsAsync(ct);

    public Task<string> InvokeHumanAsync(string commandLine, TimeSpan timeout, CancellationToken ct) =>
        _qmp.HumanMonitorCommandAsync(commandLine, timeout, ct);
}
