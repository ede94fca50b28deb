using System.Xml.Linq;
using VirtTest.Core.Monitor;
using VirtTest.Core.Storage;

namespace VirtTest.Core.Backends.Libvirt;

/// <summary>
/// CD-ROM drives of one libvirt domain: the live XML's <c>&lt;disk device='cdrom'&gt;</c>
/// elements; a medium changes with <c>virDomainUpdateDeviceFlags</c> on the same element with
/// another <c>&lt;source&gt;</c> or none (forced: a mounted disc locks the tray).
/// </summary>
internal sealed class LibvirtCdromOperations
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private readonly string _vmName;
    private readonly DomainHandle _dom;
    private readonly Func<XDocument> _liveXml;

    public LibvirtCdromOperations(string vmName, DomainHandle dom, Func<XDocument> liveXml)
    {
        _vmName = vmName;
        _dom = dom;
        _liveXml = liveXml;
    }

    private Task<T> Native<T>(Func<T> call, CancellationToken ct) =>
        Task.Run(() =>
        {
            try
            {
                return call();
            }
            catch (ObjectDisposedException ex)
            {
                throw new MonitorConnectionException($"The libvirt domain of VM '{_vmName}' was released: the VM stopped or died.", ex);
            }
        }, ct).WaitAsync(CommandTimeout, ct);

    public Task<IReadOnlyList<CdromDrive>> GetCdromsAsync(CancellationToken ct) => Native(() => Drives(_liveXml()), ct);

    internal static IEnumerable<XElement> CdromElements(XDocument doc) =>
        doc.Root?.Element("devices")?.Elements("disk").Where(d => (string?)d.Attribute("device") == "cdrom") ?? Enumerable.Empty<XElement>();

    /// <summary>The CD-ROM drives of a domain XML.</summary>
    internal static IReadOnlyList<CdromDrive> Drives(XDocument doc) => CdromElements(doc).Select(cd => new CdromDrive
    {
        Id = IdOf(cd),
        NodeName = (string?)cd.Element("target")?.Attribute("dev"),
        File = (string?)cd.Element("source")?.Attribute("file"),
        Bus = (string?)cd.Element("target")?.Attribute("bus"),
    }).ToList();

    private static string IdOf(XElement cd) =>
        cd.Element("alias")?.Attribute("name")?.Value is { } alias ? LibvirtMonitor.IdFromAlias(alias) : (string?)cd.Element("target")?.Attribute("dev") ?? "";

    /// <summary>The element to pass to virDomainUpdateDeviceFlags: the drive as it is, with the new source or none.</summary>
    internal static XElement WithMedium(XElement cd, string? iso)
    {
        var updated = new XElement(cd);
        updated.Element("source")?.Remove();
        if (iso is not null)
        {
            var source = new XElement("source", new XAttribute("file", iso));
            // <source> goes after <driver>, where libvirt writes it.
            if (updated.Element("driver") is { } driver) driver.AddAfterSelf(source);
            else updated.AddFirst(source);
        }
        return updated;
    }

    public async Task<CdromDrive> ChangeCdromAsync(string id, string? isoPath, CancellationToken ct)
    {
        string? iso = null;
        if (isoPath is not null)
        {
            iso = Path.GetFullPath(isoPath);
            if (!File.Exists(iso)) throw new ImageNotFoundException(iso);
        }
        return await Native(() =>
        {
            var doc = _liveXml();
            var drives = CdromElements(doc).ToList();
            var cd = drives.FirstOrDefault(d => IdOf(d) == id)
                ?? throw new BlockDeviceNotFoundException(_vmName, "CD-ROM drive", id, drives.Select(IdOf).ToList());
            var xml = WithMedium(cd, iso).ToString();
            LibvirtConnection.Check(LibvirtNative.virDomainUpdateDeviceFlags(_dom, xml, LibvirtNative.VIR_DOMAIN_AFFECT_LIVE | LibvirtNative.VIR_DOMAIN_DEVICE_MODIFY_FORCE),
                iso is null ? $"eject the medium of CD-ROM drive '{id}'" : $"insert {iso} into CD-ROM drive '{id}'");
            return Drives(_liveXml()).First(d => d.Id == id);
        }, ct).ConfigureAwait(false);
    }
}
