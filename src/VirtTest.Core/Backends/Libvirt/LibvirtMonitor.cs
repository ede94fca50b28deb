using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Libvirt;

/// <summary>
/// The typed monitor operations of one libvirt domain. PCI listing, key presses, mouse and
/// the raw escape hatch go to QEMU's monitor through libvirt (<c>virDomainQemuMonitorCommand</c>)
/// when the connection's driver is QEMU; the rest uses libvirt's own API. Other drivers get
/// the PCI list from the live domain XML.
/// </summary>
internal sealed class LibvirtMonitor : IVmMonitor
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private readonly string _vmName;
    private readonly LibvirtConnection _conn;
    private readonly DomainHandle _dom;
    private readonly LibvirtEventLog _events;
    private readonly DeviceIdSequence _deviceIds;
    private readonly QmpOperations _qmpOperations;
    private readonly Network.NicAttachment? _defaultNetwork;
    private readonly LibvirtBlockOperations _block;
    private readonly LibvirtCdromOperations _cdroms;

    /// <summary>The monitor of one domain; a hot-plugged interface joins the libvirt network or bridge of the first such NIC of <paramref name="nics"/>.</summary>
    public LibvirtMonitor(string vmName, LibvirtConnection conn, DomainHandle dom, LibvirtEventLog events, DeviceIdSequence deviceIds,
        IReadOnlyList<Network.NicAttachment>? nics = null)
    {
        _defaultNetwork = nics?.FirstOrDefault(n => n.NetType is "network" or "bridge");
        _vmName = vmName;
        _conn = conn;
        _dom = dom;
        _events = events;
        _deviceIds = deviceIds;
        _qmpOperations = new QmpOperations(QmpAsync);
        _block = new LibvirtBlockOperations(vmName, dom, events, deviceIds, LiveXml);
        _cdroms = new LibvirtCdromOperations(vmName, dom, LiveXml);
    }

    /// <summary>The id a user gave a device, from libvirt's alias (user aliases carry a "ua-" prefix).</summary>
    public static string IdFromAlias(string alias) =>
        alias.StartsWith(LibvirtDomainXml.UserAliasPrefix, StringComparison.Ordinal) ? alias[LibvirtDomainXml.UserAliasPrefix.Length..] : alias;

    private Task<T> Native<T>(Func<T> call, TimeSpan timeout, CancellationToken ct) =>
        Task.Run(() =>
        {
            try
            {
                return call();
            }
            catch (ObjectDisposedException ex)
            {
                // The VM stopped or died meanwhile and released its domain handle.
                throw new MonitorConnectionException($"The libvirt domain of VM '{_vmName}' was released: the VM stopped or died.", ex);
            }
        }, ct).WaitAsync(timeout, ct);

    /// <summary>The live domain XML.</summary>
    public XDocument LiveXml()
    {
        var xml = LibvirtNative.TakeString(LibvirtNative.virDomainGetXMLDesc(_dom, 0)) ?? throw LibvirtException.FromLastError("get the domain XML");
        return XDocument.Parse(xml);
    }

    public async Task<IReadOnlyList<PciDevice>> GetPciDevicesAsync(CancellationToken ct)
    {
        if (_conn.IsQemu)
        {
            var devices = await _qmpOperations.QueryPciAsync(ct).ConfigureAwait(false);
            return devices.Select(d => d with { QdevId = IdFromAlias(d.QdevId) }).ToList();
        }
        var doc = await Native(LiveXml, CommandTimeout, ct).ConfigureAwait(false);
        return PciFromXml(doc);
    }

    /// <summary>
    /// The devices of a domain XML that have a PCI address, with their alias as id. The XML
    /// has no vendor, device or class ids, so those stay 0.
    /// </summary>
    internal static IReadOnlyList<PciDevice> PciFromXml(XDocument doc)
    {
        var result = new List<PciDevice>();
        var devices = doc.Root?.Element("devices");
        if (devices is null) return result;
        foreach (var device in devices.Elements())
        {
            var address = device.Elements("address").FirstOrDefault(a => (string?)a.Attribute("type") == "pci");
            if (address is null) continue;
            result.Add(new PciDevice
            {
                Bus = Hex(address.Attribute("bus")),
                Slot = Hex(address.Attribute("slot")),
                Function = Hex(address.Attribute("function")),
                QdevId = IdFromAlias((string?)device.Element("alias")?.Attribute("name") ?? ""),
                ClassDescription = null,
            });
        }
        return result.OrderBy(d => d.Bus).ThenBy(d => d.Slot).ThenBy(d => d.Function).ToList();
    }

    private static int Hex(XAttribute? a)
    {
        var text = (string?)a ?? "0";
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) text = text[2..];
        return int.TryParse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var n) ? n : 0;
    }

    public Task<IReadOnlyList<CdromDrive>> GetCdromsAsync(CancellationToken ct) => _cdroms.GetCdromsAsync(ct);

    public Task<CdromDrive> ChangeCdromAsync(string id, string? isoPath, CancellationToken ct) => _cdroms.ChangeCdromAsync(id, isoPath, ct);

    public async Task<PciDevice> AddPciDeviceAsync(PciDeviceSpec spec, TimeSpan timeout, CancellationToken ct)
    {
        var id = spec.Id ?? _deviceIds.Next();
        if (LibvirtDomainXml.SafeId(id) != id)
            throw new VmParamException(_vmName, "pci_device_id", id, "libvirt device aliases allow only letters, digits, '-' and '_'");
        var xml = LibvirtDomainXml.HotplugInterface(_vmName, spec.Model, LibvirtDomainXml.UserAliasPrefix + id, spec.Properties, _defaultNetwork).ToString();
        var deadline = DateTime.UtcNow + timeout;
        await Native(() =>
        {
            LibvirtConnection.Check(LibvirtNative.virDomainAttachDeviceFlags(_dom, xml, LibvirtNative.VIR_DOMAIN_AFFECT_LIVE), $"attach {spec.Model} '{id}'");
            return 0;
        }, timeout, ct).ConfigureAwait(false);
        // Attaching returns once libvirt added the device; wait until the PCI list shows it.
        return await PciDeviceWait.UntilListedAsync(GetPciDevicesAsync, id, spec.Model, deadline, timeout, ct).ConfigureAwait(false);
    }

    public async Task RemovePciDeviceAsync(string id, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        var wanted = IdFromAlias(id);
        var doc = await Native(LiveXml, CommandTimeout, ct).ConfigureAwait(false);
        var device = FindByAlias(doc, wanted)
            ?? throw new MonitorException($"VM '{_vmName}' has no device with id '{id}' (aliases: {string.Join(", ", Aliases(doc))}).");
        var xml = device.ToString();
        await Native(() =>
        {
            LibvirtConnection.Check(LibvirtNative.virDomainDetachDeviceFlags(_dom, xml, LibvirtNative.VIR_DOMAIN_AFFECT_LIVE), $"detach '{id}'");
            return 0;
        }, timeout, ct).ConfigureAwait(false);
        // Detaching only asks the guest to let go; the device is gone once the live XML lacks it
        // (libvirt raises its device-removed event at the same moment).
        while (true)
        {
            var now = await Native(LiveXml, CommandTimeout, ct).ConfigureAwait(false);
            if (FindByAlias(now, wanted) is null) return;
            if (DateTime.UtcNow >= deadline)
                throw new MonitorTimeoutException($"device '{id}' to be removed (the guest did not release it; does it handle ACPI PCI hot-unplug?)", timeout);
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    private static XElement? FindByAlias(XDocument doc, string id) =>
        doc.Root?.Element("devices")?.Elements().FirstOrDefault(d => d.Element("alias")?.Attribute("name")?.Value is { } a && IdFromAlias(a) == id);

    private static IEnumerable<string> Aliases(XDocument doc) =>
        doc.Root?.Element("devices")?.Elements().Select(d => d.Element("alias")?.Attribute("name")?.Value).OfType<string>().Select(IdFromAlias) ?? Enumerable.Empty<string>();

    public async Task SaveScreenshotAsync(string pngPath, CancellationToken ct)
    {
        var full = Path.GetFullPath(pngPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var (mime, data) = await Native(Screenshot, CommandTimeout, ct).ConfigureAwait(false);
        byte[] png;
        if (PpmToPng.IsPng(data)) png = data;
        else if (mime.Contains("ppm", StringComparison.OrdinalIgnoreCase) || data.Length > 1 && data[0] == 'P' && data[1] == '6') png = PpmToPng.Convert(data);
        else throw new MonitorException($"libvirt's screenshot of VM '{_vmName}' is {mime}, which the framework cannot convert to PNG.");
        await File.WriteAllBytesAsync(full, png, ct).ConfigureAwait(false);
    }

    private unsafe (string Mime, byte[] Data) Screenshot()
    {
        using var stream = _conn.NewStream(0);
        var mime = LibvirtNative.TakeString(LibvirtNative.virDomainScreenshot(_dom, stream, 0, 0)) ?? throw LibvirtException.FromLastError("take a screenshot");
        using var data = new MemoryStream();
        var buffer = new byte[256 * 1024];
        try
        {
            while (true)
            {
                int n;
                fixed (byte* p = buffer) n = LibvirtNative.virStreamRecv(stream, p, (nuint)buffer.Length);
                if (n < 0) throw LibvirtException.FromLastError("receive the screenshot");
                if (n == 0) break;
                data.Write(buffer, 0, n);
            }
            LibvirtConnection.Check(LibvirtNative.virStreamFinish(stream), "finish the screenshot stream");
        }
        catch
        {
            LibvirtNative.virStreamAbort(stream);
            throw;
        }
        return (mime, data.ToArray());
    }

    public Task SendKeysAsync(IReadOnlyList<string> keys, CancellationToken ct) => _qmpOperations.SendKeysAsync(keys, ct);

    public Task MoveMouseAsync(int dx, int dy, CancellationToken ct) => _qmpOperations.MoveMouseAsync(dx, dy, ct);

    public Task SystemResetAsync(CancellationToken ct) =>
        Native(() => { LibvirtConnection.Check(LibvirtNative.virDomainReset(_dom, 0), "reset"); return 0; }, CommandTimeout, ct);

    public Task SystemPowerdownAsync(CancellationToken ct) =>
        Native(() => { LibvirtConnection.Check(LibvirtNative.virDomainShutdownFlags(_dom, PowerButtonFlags(_conn)), "shut down"); return 0; }, CommandTimeout, ct);

    /// <summary>The ACPI power button where the driver knows the method (QEMU), else the driver's default.</summary>
    internal static uint PowerButtonFlags(LibvirtConnection conn) => conn.IsQemu ? LibvirtNative.VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN : 0;

    public IReadOnlyList<MonitorEvent> Events => _events.Snapshot();

    public long LastEventSequence => _events.LastSequence;

    public Task<MonitorEvent> WaitForEventAsync(string name, Func<MonitorEvent, bool>? predicate, long afterSequence, TimeSpan timeout, CancellationToken ct) =>
        _events.WaitForEventAsync(name, predicate, afterSequence, timeout, ct);

    public Task<JsonNode?> InvokeRawAsync(string command, JsonObject? arguments, TimeSpan timeout, CancellationToken ct) =>
        QmpAsync(command, arguments, timeout, ct);

    public Task<IReadOnlyList<string>> ListRawCommandsAsync(CancellationToken ct) => _qmpOperations.ListCommandsAsync(ct);

    public Task<string> InvokeHumanAsync(string commandLine, TimeSpan timeout, CancellationToken ct)
    {
        RequireQemu(VmCapability.RawMonitor);
        return Native(() => MonitorCommand(commandLine, LibvirtNative.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP, "human monitor command"), timeout, ct);
    }

    /// <summary>A QMP command through libvirt; QMP errors become <see cref="MonitorCommandException"/>.</summary>
    private async Task<JsonNode?> QmpAsync(string command, JsonObject? arguments, TimeSpan timeout, CancellationToken ct)
    {
        RequireQemu(VmCapability.RawMonitor);
        var request = new JsonObject { ["execute"] = command };
        if (arguments is not null) request["arguments"] = arguments.DeepClone();
        var text = request.ToJsonString();
        var replyText = await Native(() => MonitorCommand(text, 0, $"QMP command {command}"), timeout, ct).ConfigureAwait(false);
        JsonNode? reply;
        try { reply = JsonNode.Parse(replyText); }
        catch (JsonException ex) { throw new MonitorException($"QMP reply to {command} through libvirt is not JSON: {replyText}", ex); }
        if (reply?["error"] is JsonObject error)
        {
            throw new MonitorCommandException(command, error["class"]?.GetValue<string>() ?? "Unknown", error["desc"]?.GetValue<string>() ?? "");
        }
        return reply?["return"]?.DeepClone();
    }

    private string MonitorCommand(string text, uint flags, string what)
    {
        var rc = LibvirtNative.virDomainQemuMonitorCommand(_dom, text, out var result, flags);
        if (rc < 0) throw LibvirtException.FromLastError(what);
        return LibvirtNative.TakeString(result) ?? "";
    }

    // ---- disks and block jobs (libvirt's own API, see LibvirtBlockOperations)
    public IVmDisks Disks => _block;

    private void RequireQemu(VmCapability capability)
    {
        if (!_conn.IsQemu) throw new NotSupportedByBackendException("libvirt", capability, $"needs the QEMU driver; {_conn.Uri} is the {_conn.DriverType} driver");
    }
}
