using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using VirtTest.Core.Monitor;
using VirtTest.Core.Storage;

namespace VirtTest.Core.Backends.Qemu;

/// <summary>
/// CD-ROM drives of one QEMU over QMP: listed from <c>query-block</c> (the entries
/// with a tray); a medium changes as <c>blockdev-open-tray</c> (forced: a mounted disc locks the
/// tray), <c>blockdev-remove-medium</c>, then for a new ISO <c>blockdev-add</c> (read-only raw)
/// + <c>blockdev-insert-medium</c>, and <c>blockdev-close-tray</c>. The guest sees the tray
/// move and the new medium. Nodes the framework added are deleted when their medium leaves.
/// </summary>
internal sealed class QemuCdromOperations
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private const string NodePrefix = "vt-cd-";

    private readonly string _vmName;
    private readonly QmpClient _qmp;
    private readonly IReadOnlyDictionary<string, string> _buses;
    /// <summary>The node the framework inserted into each drive (drive id → node name).</summary>
    private readonly ConcurrentDictionary<string, string> _inserted = new(StringComparer.Ordinal);
    private int _counter;

    /// <summary>The drives of one QEMU; <paramref name="buses"/> is the bus of each from the params (id → ide, ahci, scsi).</summary>
    public QemuCdromOperations(string vmName, QmpClient qmp, IReadOnlyDictionary<string, string> buses)
    {
        _vmName = vmName;
        _qmp = qmp;
        _buses = buses;
    }

    private Task<JsonNode?> ExecuteAsync(string command, JsonObject arguments, CancellationToken ct) =>
        _qmp.ExecuteAsync(command, arguments, CommandTimeout, ct);

    public async Task<IReadOnlyList<CdromDrive>> GetCdromsAsync(CancellationToken ct) =>
        ParseQueryBlock(await _qmp.ExecuteAsync("query-block", null, CommandTimeout, ct).ConfigureAwait(false), _buses);

    /// <summary>query-block's entries of devices with a tray (CD-ROM drives), by device id.</summary>
    internal static IReadOnlyList<CdromDrive> ParseQueryBlock(JsonNode? reply, IReadOnlyDictionary<string, string>? buses = null)
    {
        var result = new List<CdromDrive>();
        if (reply is not JsonArray entries) return result;
        foreach (var entry in entries.OfType<JsonObject>())
        {
            if (!IsCdrom(entry)) continue;
            var id = QemuBlockOperations.IdFromQdev(Str(entry, "qdev") ?? "") ?? Str(entry, "device") ?? "";
            result.Add(new CdromDrive
            {
                Id = id,
                NodeName = Str(entry, "device") is { Length: > 0 } device ? device : (entry["inserted"] as JsonObject)?["node-name"]?.GetValue<string>(),
                File = entry["inserted"] is JsonObject inserted ? Str(inserted, "file") : null,
                Locked = entry["locked"] is JsonValue l && l.TryGetValue<bool>(out var locked) && locked,
                Bus = buses is not null && buses.TryGetValue(id, out var bus) ? bus : null,
            });
        }
        return result;
    }

    public async Task<CdromDrive> ChangeCdromAsync(string id, string? isoPath, CancellationToken ct)
    {
        var drives = await GetCdromsAsync(ct).ConfigureAwait(false);
        if (drives.All(d => d.Id != id)) throw new BlockDeviceNotFoundException(_vmName, "CD-ROM drive", id, drives.Select(d => d.Id).ToList());
        string? iso = null;
        if (isoPath is not null)
        {
            iso = Path.GetFullPath(isoPath);
            if (!File.Exists(iso)) throw new ImageNotFoundException(iso);
        }
        // Forced: a guest that mounted the disc has locked the tray and would only be asked to open it.
        await ExecuteAsync("blockdev-open-tray", new JsonObject { ["id"] = id, ["force"] = true }, ct).ConfigureAwait(false);
        await ExecuteAsync("blockdev-remove-medium", new JsonObject { ["id"] = id }, ct).ConfigureAwait(false);
        if (_inserted.TryRemove(id, out var old))
        {
            // The medium the framework inserted is a node of the monitor's own: it goes with the disc.
            try { await ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = old }, ct).ConfigureAwait(false); }
            catch (MonitorCommandException) { /* still in use elsewhere: QEMU keeps it, nothing else to do */ }
        }
        if (iso is not null)
        {
            var node = NodePrefix + QemuCommandLine.SafeId(id) + "-" + Interlocked.Increment(ref _counter).ToString(CultureInfo.InvariantCulture);
            await ExecuteAsync("blockdev-add", new JsonObject
            {
                ["driver"] = "raw",
                ["node-name"] = node,
                ["read-only"] = true,
                ["file"] = new JsonObject { ["driver"] = "file", ["filename"] = iso, ["read-only"] = true },
            }, ct).ConfigureAwait(false);
            try
            {
                await ExecuteAsync("blockdev-insert-medium", new JsonObject { ["id"] = id, ["node-name"] = node }, ct).ConfigureAwait(false);
            }
            catch
            {
                try { await ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = node }, CancellationToken.None).ConfigureAwait(false); }
                catch (MonitorException) { /* the original error says more */ }
                throw;
            }
            _inserted[id] = node;
        }
        await ExecuteAsync("blockdev-close-tray", new JsonObject { ["id"] = id }, ct).ConfigureAwait(false);
        return (await GetCdromsAsync(ct).ConfigureAwait(false)).First(d => d.Id == id);
    }

    /// <summary>A CD-ROM drive: query-block reports a tray (tray_open) only for devices that have one.</summary>
    internal static bool IsCdrom(JsonObject entry) => entry.ContainsKey("tray_open");

    private static string? Str(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
