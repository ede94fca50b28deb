using System.Globalization;
using System.Xml.Linq;
using VirtTest.Core.Config;
using VirtTest.Core.Monitor;
using VirtTest.Core.Storage;

namespace VirtTest.Core.Backends.Libvirt;

/// <summary>
/// A libvirt migration with non-shared storage (<c>VIR_MIGRATE_NON_SHARED_DISK</c>: libvirt
/// exports the destination's disks over NBD and mirrors into them) onto new image files:
/// the destination XML is the domain's migratable XML with each writable file disk's source
/// replaced by a new, empty image of the same size and format (created here, beforehand, as
/// libvirt expects), and the VM's params name the new files afterwards.
/// </summary>
internal sealed class LibvirtStorageCopy
{
    public sealed record Copy(string Target, string? ImageName, string Source, string Destination, string Format, long Size);

    private LibvirtStorageCopy(IReadOnlyList<Copy> copies, string destinationXml, VirtParams destinationParams)
    {
        Copies = copies;
        DestinationXml = destinationXml;
        DestinationParams = destinationParams;
    }

    public IReadOnlyList<Copy> Copies { get; }
    public string DestinationXml { get; }
    public VirtParams DestinationParams { get; }

    /// <summary>Plans the copy from the domain's migratable XML and sizes (read on the calling thread: call it off the event loop).</summary>
    public static LibvirtStorageCopy Plan(DomainHandle dom, VirtParams vmParams, MigrationOptions options)
    {
        var xml = LibvirtNative.TakeString(LibvirtNative.virDomainGetXMLDesc(dom, LibvirtNative.VIR_DOMAIN_XML_MIGRATABLE))
            ?? throw LibvirtException.FromLastError("get the migratable domain XML");
        var doc = XDocument.Parse(xml);
        var copies = new List<Copy>();
        var destinationParams = vmParams.Clone();
        var images = vmParams.Objects("images").ToDictionary(i => LibvirtDomainXml.UserAliasPrefix + LibvirtDomainXml.SafeId(i), i => i, StringComparer.Ordinal);
        foreach (var disk in LibvirtBlockOperations.DiskElements(doc))
        {
            var source = disk.Element("source");
            var file = (string?)source?.Attribute("file");
            var target = (string?)disk.Element("target")?.Attribute("dev");
            if (file is null || target is null || (string?)disk.Attribute("type") != "file" || disk.Element("readonly") is not null) continue;
            var format = (string?)disk.Element("driver")?.Attribute("type") ?? "raw";
            if (LibvirtNative.virDomainGetBlockInfo(dom, target, out var info, 0) < 0) throw LibvirtException.FromLastError($"read the size of disk {target}");
            var destination = ImageCopyPath.Next(file, format, options.StorageDirectory);
            // The copy is flat: the mirror writes the whole chain's data into it.
            source!.SetAttributeValue("file", destination);
            disk.Element("backingStore")?.Remove();
            var alias = (string?)disk.Element("alias")?.Attribute("name");
            var image = alias is not null && images.TryGetValue(alias, out var name) ? name : null;
            if (image is not null) destinationParams["image_filename_" + image] = destination;
            copies.Add(new Copy(target, image, file, destination, format, (long)info.Capacity));
        }
        return new LibvirtStorageCopy(copies, doc.ToString(), destinationParams);
    }

    /// <summary>Creates the destination's empty images (libvirt wants them to exist).</summary>
    public async Task CreateImagesAsync(CancellationToken ct)
    {
        var tool = new QemuImg();
        var created = new List<string>();
        try
        {
            foreach (var c in Copies)
            {
                // ImageCopyPath picked a free name, but two disks of one VM may have picked the same one.
                if (File.Exists(c.Destination)) throw new ImageExistsException(c.Destination);
                await tool.CreateAsync(c.Destination, new ImageCreateOptions { Format = c.Format, Size = c.Size.ToString(CultureInfo.InvariantCulture) }, overwrite: false, ct).ConfigureAwait(false);
                created.Add(c.Destination);
            }
        }
        catch
        {
            foreach (var f in created) TryDelete(f);
            throw;
        }
    }

    /// <summary>After a failed migration: the destination's files go.</summary>
    public void DeleteImages()
    {
        foreach (var c in Copies) TryDelete(c.Destination);
    }

    private static void TryDelete(string file)
    {
        try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
