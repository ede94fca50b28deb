using System.Text.Json.Nodes;
using VirtTest.Core.Monitor;
using VirtTest.Core.Network;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Qemu;

/// <summary>
/// The network behind a hot-plugged NIC: <c>device_add</c> of a network card model gets a
/// netdev first (<c>netdev_add</c>), so the card carries traffic: a tap on a bridge (the first
/// bridge NIC's bridge, or the spec's <c>nettype = bridge</c> with <c>netdst</c> and
/// <c>netdst_netns</c>) or user-mode networking (<c>nettype = user</c>, the default without a
/// bridge NIC). Unplugging removes the netdev and the tap; so does the end of the VM.
/// </summary>
internal sealed class QemuNicHotplug
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    /// <summary>Spec properties that choose the network; they are not device properties.</summary>
    private static readonly string[] NetworkProperties = { "nettype", "netdst", "netdst_netns" };

    private readonly string _vmName;
    private readonly QemuBinary _binary;
    private readonly NicAttachment? _defaultBridge;
    /// <summary>MACs for hot-plugged cards without one (QEMU's default would repeat between VMs on one bridge).</summary>
    private static readonly Lazy<Resources.MacAddressPool> Macs = new(() => new Resources.MacAddressPool());
    private readonly Dictionary<string, (string Netdev, VmTap? Tap, string? PoolMac)> _plugged = new(StringComparer.Ordinal);

    public QemuNicHotplug(string vmName, QemuBinary binary, IReadOnlyList<NicAttachment> bootNics)
    {
        _vmName = vmName;
        _binary = binary;
        _defaultBridge = bootNics.FirstOrDefault(n => n.NetType == "bridge");
    }

    /// <summary>A network card model that gets a netdev (unless the spec names one itself).</summary>
    public bool Handles(PciDeviceSpec spec) =>
        !spec.Properties.ContainsKey("netdev") &&
        _binary.DevicesByName.TryGetValue(spec.Model, out var model) && model.Category.Equals("Network devices", StringComparison.OrdinalIgnoreCase);

    /// <summary>The device properties without the network choice.</summary>
    public static IEnumerable<KeyValuePair<string, string>> DeviceProperties(PciDeviceSpec spec) =>
        spec.Properties.Where(p => !NetworkProperties.Contains(p.Key));

    /// <summary>
    /// Adds the netdev for device <paramref name="id"/> (and its tap, put on its bridge); returns the
    /// device properties to add: the netdev, and a MAC from the host-wide pool when the spec has none.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> AddNetdevAsync(QmpClient qmp, string id, PciDeviceSpec spec, CancellationToken ct)
    {
        var poolMac = spec.Properties.ContainsKey("mac") ? null : Macs.Value.Allocate();
        try
        {
            var netdev = await AddNetdevCoreAsync(qmp, id, spec, poolMac, ct).ConfigureAwait(false);
            var extra = new Dictionary<string, string>(StringComparer.Ordinal) { ["netdev"] = netdev };
            if (poolMac is not null) extra["mac"] = poolMac;
            return extra;
        }
        catch
        {
            if (poolMac is not null) Macs.Value.Release(poolMac);
            throw;
        }
    }

    private async Task<string> AddNetdevCoreAsync(QmpClient qmp, string id, PciDeviceSpec spec, string? poolMac, CancellationToken ct)
    {
        var attachment = AttachmentFor(id, spec);
        var netdev = "netdev_" + id;
        VmTap? tap = null;
        var args = new JsonObject { ["id"] = netdev };
        if (attachment.NetType == "bridge")
        {
            await Bridge.RequireAsync(attachment.NetDst!, attachment.NetDstNamespace, ct).ConfigureAwait(false);
            tap = await VmTap.CreateAsync(_vmName, attachment, ct).ConfigureAwait(false);
            args["type"] = "tap";
            args["ifname"] = tap.Name;
            args["script"] = "no";
            args["downscript"] = "no";
        }
        else
        {
            args["type"] = "user";
        }
        try
        {
            await qmp.ExecuteAsync("netdev_add", args, CommandTimeout, ct).ConfigureAwait(false);
            lock (_plugged) _plugged[id] = (netdev, tap, poolMac);
            if (tap is not null) await tap.AttachAsync(ct).ConfigureAwait(false);
            return netdev;
        }
        catch
        {
            bool recorded;
            lock (_plugged) recorded = _plugged.ContainsKey(id);
            if (recorded) await RemoveNetdevAsync(qmp, id, CancellationToken.None).ConfigureAwait(false);
            else if (tap is not null) await tap.DeleteAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Removes the netdev (and tap) of an unplugged device; nothing when it had none of ours.</summary>
    public async Task RemoveNetdevAsync(QmpClient qmp, string id, CancellationToken ct)
    {
        (string Netdev, VmTap? Tap, string? PoolMac) entry;
        lock (_plugged)
        {
            if (!_plugged.Remove(id, out entry)) return;
        }
        try
        {
            await qmp.ExecuteAsync("netdev_del", new JsonObject { ["id"] = entry.Netdev }, CommandTimeout, ct).ConfigureAwait(false);
        }
        catch (MonitorException)
        {
            // Gone with the device already, or QEMU is going away: the tap goes below anyway.
        }
        if (entry.Tap is not null) await entry.Tap.DeleteAsync().ConfigureAwait(false);
        if (entry.PoolMac is not null) Macs.Value.Release(entry.PoolMac);
    }

    /// <summary>The VM ended: deletes the taps of hot-plugged NICs.</summary>
    public async Task ReleaseAsync()
    {
        List<(string Netdev, VmTap? Tap, string? PoolMac)> entries;
        lock (_plugged)
        {
            entries = _plugged.Values.ToList();
            _plugged.Clear();
        }
        foreach (var e in entries)
        {
            if (e.Tap is not null) await e.Tap.DeleteAsync().ConfigureAwait(false);
            if (e.PoolMac is not null) Macs.Value.Release(e.PoolMac);
        }
    }

    private NicAttachment AttachmentFor(string id, PciDeviceSpec spec)
    {
        var p = spec.Properties;
        var netType = p.TryGetValue("nettype", out var t) ? t : _defaultBridge is null ? "user" : "bridge";
        if (netType == "user") return new NicAttachment(id, "user", null, null, 1, null);
        if (netType != "bridge")
            throw new VmParamException(_vmName, "nettype", netType, $"a hot-plugged NIC ({id}) goes on a bridge or user-mode networking", new[] { "bridge", "user" });
        var bridge = p.TryGetValue("netdst", out var d) ? d : _defaultBridge?.NetDst
            ?? throw new VmParamException(_vmName, "netdst", "", $"the hot-plugged NIC {id} has nettype = bridge but no netdst, and no NIC of the VM is on a bridge");
        var ns = p.TryGetValue("netdst_netns", out var n) ? (n.Length == 0 ? null : n)
            : p.ContainsKey("netdst") ? null : _defaultBridge?.NetDstNamespace;
        return new NicAttachment(id, "bridge", bridge, ns, 1, null);
    }
}
