using System.Globalization;
using System.Text.Json.Nodes;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// The typed monitor operations of one Xen domain, each an <c>xl</c> command. PCI hot-plug
/// on Xen is PCI passthrough: a host device (already assignable, see <c>xl pci-assignable-add</c>)
/// is attached with <c>xl pci-attach</c> and removed with <c>xl pci-detach</c>; there are no
/// emulated hot-plug models. What xl cannot do (screendump, keys, mouse, raw QMP, events)
/// answers <see cref="NotSupportedByBackendException"/>, matching the capability set.
/// </summary>
internal sealed class XenMonitor : IVmMonitor
{
    /// <summary>The only device model: a host PCI device passed through.</summary>
    public const string PassthroughModel = PciDeviceSpec.PassthroughModel;
    /// <summary>Properties of the device spec string that xl-pci-configuration(5) defines.</summary>
    private static readonly string[] SpecKeys = { "permissive", "msitranslate", "seize", "power_mgmt", "rdm_policy" };

    private readonly XlToolstack _xl;
    private readonly string _domain;
    private readonly XenGuestType _type;
    private readonly string _hostPciSysfs;
    private readonly XenBlockOperations _block;

    public XenMonitor(XlToolstack xl, string domainName, XenGuestType type, string hostPciSysfs)
    {
        _xl = xl;
        _domain = domainName;
        _type = type;
        _hostPciSysfs = hostPciSysfs;
        _block = new XenBlockOperations(xl, domainName);
    }

    public async Task<IReadOnlyList<PciDevice>> GetPciDevicesAsync(CancellationToken ct)
    {
        var output = await _xl.RunAsync(new[] { "pci-list", _domain }, ct).ConfigureAwait(false);
        return XlOutput.PciList(output).Select(WithHostIds).ToList();
    }

    /// <summary>A passed-through function shows the guest the host's ids: read them from the host's sysfs.</summary>
    private PciDevice WithHostIds(PciDevice d)
    {
        var dir = Path.Combine(_hostPciSysfs, d.QdevId);
        return d with
        {
            VendorId = HexFile(Path.Combine(dir, "vendor")),
            DeviceId = HexFile(Path.Combine(dir, "device")),
            ClassCode = HexFile(Path.Combine(dir, "class")) >> 8, // sysfs has base class, subclass, prog-if
        };
    }

    private static int HexFile(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) text = text[2..];
            return int.TryParse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v) ? v : 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>The xl PCI spec string for a device spec: <c>BDF[@VSLOT][,key=value...]</c>.</summary>
    internal static (string Bdf, string SpecString) SpecString(PciDeviceSpec spec)
    {
        if (spec.Model is not (PassthroughModel or "xen-pci-passthrough"))
            throw new ArgumentException($"The xen backend hot-plugs host PCI devices only (PCI passthrough): use model '{PassthroughModel}' with property host=<BDF>, not '{spec.Model}'.", nameof(spec));
        if (!spec.Properties.TryGetValue("host", out var hostText))
            throw new ArgumentException("PCI passthrough needs the host device: property host=<[DDDD:]BB:DD.F>, e.g. host=0000:03:00.0.", nameof(spec));
        var bdf = XlOutput.NormalizeBdf(hostText)
            ?? throw new ArgumentException($"Property host = '{hostText}' is not a host PCI address ([DDDD:]BB:DD.F, e.g. 0000:03:00.0).", nameof(spec));
        if (spec.Id is { } id && XlOutput.NormalizeBdf(id) != bdf)
            throw new ArgumentException($"On Xen a passed-through device is known by its host address: the id must be {bdf} (or omitted), not '{id}'.", nameof(spec));
        var text = bdf;
        if (spec.Properties.TryGetValue("vslot", out var vslot))
        {
            if (!int.TryParse(vslot, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var slot) || slot is < 0 or > 0x1f)
                throw new ArgumentException($"Property vslot = '{vslot}' is not a guest PCI slot (hex 00-1f).", nameof(spec));
            text += "@" + slot.ToString("x2", CultureInfo.InvariantCulture);
        }
        foreach (var (key, value) in spec.Properties)
        {
            if (key is "host" or "vslot") continue;
            if (!SpecKeys.Contains(key))
                throw new ArgumentException($"Unknown PCI passthrough property '{key}' (valid: host, vslot, {string.Join(", ", SpecKeys)}).", nameof(spec));
            if (value.Length == 0 || value.Any(c => c is ',' or '=' or '@' || char.IsWhiteSpace(c)))
                throw new ArgumentException($"PCI passthrough property {key} = '{value}' must be a single word.", nameof(spec));
            text += "," + key + "=" + value;
        }
        return (bdf, text);
    }

    public async Task<PciDevice> AddPciDeviceAsync(PciDeviceSpec spec, TimeSpan timeout, CancellationToken ct)
    {
        var (bdf, specString) = SpecString(spec);
        var deadline = DateTime.UtcNow + timeout;
        await _xl.RunAsync(new[] { "pci-attach", _domain, specString }, ct, timeout).ConfigureAwait(false);
        while (true)
        {
            var found = (await GetPciDevicesAsync(ct).ConfigureAwait(false)).FirstOrDefault(d => d.QdevId == bdf);
            if (found is not null) return found;
            if (DateTime.UtcNow >= deadline) throw new MonitorTimeoutException($"host device {bdf} to appear in 'xl pci-list {_domain}'", timeout);
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    public async Task RemovePciDeviceAsync(string id, TimeSpan timeout, CancellationToken ct)
    {
        var bdf = XlOutput.NormalizeBdf(id)
            ?? throw new ArgumentException($"'{id}' is not a host PCI address: on Xen a passed-through device's id is its host BDF (see Get-VirtPciInfo).", nameof(id));
        var deadline = DateTime.UtcNow + timeout;
        // Without -f, xl waits for the guest to release the device (the hot-unplug handshake).
        await _xl.RunAsync(new[] { "pci-detach", _domain, bdf }, ct, timeout).ConfigureAwait(false);
        while ((await GetPciDevicesAsync(ct).ConfigureAwait(false)).Any(d => d.QdevId == bdf))
        {
            if (DateTime.UtcNow >= deadline) throw new MonitorTimeoutException($"host device {bdf} to leave 'xl pci-list {_domain}'", timeout);
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    public Task SaveScreenshotAsync(string pngPath, CancellationToken ct) => throw NotSupported(VmCapability.Screendump, "xl has no screendump command");
    public Task SendKeysAsync(IReadOnlyList<string> keys, CancellationToken ct) => throw NotSupported(VmCapability.SendKey, "xl has no send-key command");
    public Task MoveMouseAsync(int dx, int dy, CancellationToken ct) => throw NotSupported(VmCapability.Mouse, "xl has no mouse command");

    public Task SystemResetAsync(CancellationToken ct)
    {
        // 'xl trigger ... reset' exists for HVM domains only (xl(1)).
        if (_type != XenGuestType.Hvm) throw NotSupported(VmCapability.Reset, "xl trigger reset works on HVM domains only");
        return _xl.RunAsync(new[] { "trigger", _domain, "reset" }, ct);
    }

    public Task SystemPowerdownAsync(CancellationToken ct) =>
        // HVM guests without PV drivers get an ACPI power button press (-F).
        _xl.RunAsync(_type == XenGuestType.Hvm ? new[] { "shutdown", "-F", _domain } : new[] { "shutdown", _domain }, ct);

    public IReadOnlyList<MonitorEvent> Events => Array.Empty<MonitorEvent>();
    public long LastEventSequence => 0;

    public Task<MonitorEvent> WaitForEventAsync(string name, Func<MonitorEvent, bool>? predicate, long afterSequence, TimeSpan timeout, CancellationToken ct) =>
        throw NotSupported(VmCapability.Events, "xl reports no asynchronous events");

    public Task<JsonNode?> InvokeRawAsync(string command, JsonObject? arguments, TimeSpan timeout, CancellationToken ct) =>
        throw NotSupported(VmCapability.RawMonitor, "the xen backend has no raw monitor");

    public Task<IReadOnlyList<string>> ListRawCommandsAsync(CancellationToken ct) =>
        throw NotSupported(VmCapability.RawMonitor, "the xen backend has no raw monitor");

    public Task<string> InvokeHumanAsync(string commandLine, TimeSpan timeout, CancellationToken ct) =>
        throw NotSupported(VmCapability.RawMonitor, "the xen backend has no raw monitor");

    // ---- disks (xl block-attach/-detach, xl list -l); xl has no live snapshots or block jobs
    public IVmDisks Disks => _block;

    // ---- CD-ROM media: xl has cd-insert/cd-eject for HVM domains, not verified here, so not offered

    public Task<IReadOnlyList<CdromDrive>> GetCdromsAsync(CancellationToken ct) => throw NotSupported(VmCapability.CdromChange, "changing CD-ROM media through xl cd-insert/cd-eject is not verified on the xen backend; CD-ROM drives from cdroms are attached at start (HVM)");
    public Task<CdromDrive> ChangeCdromAsync(string id, string? isoPath, CancellationToken ct) => throw NotSupported(VmCapability.CdromChange, "changing CD-ROM media through xl cd-insert/cd-eject is not verified on the xen backend; CD-ROM drives from cdroms are attached at start (HVM)");

    private static NotSupportedByBackendException NotSupported(VmCapability capability, string why) => new(XenBackend.BackendName, capability, why);
}
