using System.Text.Json.Nodes;
using System.Xml.Linq;
using VirtTest.Core.Backends.Libvirt;
using VirtTest.Core.Backends.Qemu;
using VirtTest.Core.Backends.Xen;
using VirtTest.Core.Config;
using VirtTest.Core.Tests.Config;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Vm;

/// <summary>
/// CD-ROM drives from params (cdroms, cdrom_&lt;name&gt;, cd_format_&lt;name&gt; / drive_format_&lt;name&gt;) on
/// every backend's configuration, and the parsing of what QEMU and libvirt report about them. The
/// media changes on running guests are in examples/realguest (Pester, tag RealGuest).
/// </summary>
public sealed class CdromTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static VirtParams P(params (string Key, string Value)[] items) =>
        new(items.Select(i => new KeyValuePair<string, string>(i.Key, i.Value)));

    [Fact]
    public void ReaderResolvesTheIsoAndTheBusAndLeavesADriveWithoutIsoEmpty()
    {
        var iso = _dir.Write("a.iso", "x");
        var p = P(("cdroms", "cd1 cd2 cd3"), ("cdrom_cd1", iso), ("cd_format_cd2", "scsi-cd"), ("drive_format_cd3", "ahci"), ("drive_format", "virtio"));
        var cds = new VmParamsReader("vm1", p).Cdroms;
        Assert.Equal(new[] { "cd1", "cd2", "cd3" }, cds.Select(c => c.Name));
        Assert.Equal(iso, cds[0].Iso);
        Assert.Null(cds[1].Iso);
        // The VM-wide drive_format is the disks' bus, not the drives'.
        Assert.Equal(new[] { "ide", "scsi", "ahci" }, cds.Select(c => c.Bus));
    }

    [Fact]
    public void AMissingIsoOrAnUnknownBusNamesTheParam()
    {
        var missing = Assert.Throws<VmParamException>(() => new VmParamsReader("vm1", P(("cdroms", "cd1"), ("cdrom_cd1", Path.Combine(_dir.Path, "none.iso")))).Cdroms);
        Assert.Equal("cdrom_cd1", missing.Param);
        var bus = Assert.Throws<VmParamException>(() => new VmParamsReader("vm1", P(("cdroms", "cd1"), ("cd_format_cd1", "virtio"))).Cdroms);
        Assert.Equal("cd_format_cd1", bus.Param);
        Assert.Contains("ide", bus.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Qemu")]
    public void QemuGetsReadOnlyCdromDrivesOnIdeAhciAndVirtioScsi()
    {
        var iso = _dir.Write("a,b.iso", "x");
        var p = P(("cdroms", "cd1 cd2 cd3"), ("cdrom_cd1", iso), ("cd_format_cd2", "scsi"), ("cd_format_cd3", "ahci"), ("machine_type", "pc"));
        var args = QemuCommandLine.Build("vm1", p, QemuBinary.Get(QemuBackend.DefaultBinary), QemuRuntimePaths.In(_dir.Path), incoming: null);
        var joined = string.Join(' ', args);
        Assert.Contains($"-drive if=none,id=drive_cd1,media=cdrom,readonly=on,file={iso.Replace(",", ",,", StringComparison.Ordinal)},format=raw -device ide-cd,drive=drive_cd1,id=cd1", joined, StringComparison.Ordinal);
        Assert.Contains("-device virtio-scsi-pci,id=scsi0", joined, StringComparison.Ordinal);
        Assert.Contains("-drive if=none,id=drive_cd2,media=cdrom,readonly=on -device scsi-cd,drive=drive_cd2,id=cd2", joined, StringComparison.Ordinal);
        Assert.Contains("-device ahci,id=ahci0 -drive if=none,id=drive_cd3,media=cdrom,readonly=on -device ide-cd,drive=drive_cd3,id=cd3,bus=ahci0.0", joined, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Libvirt")]
    public void LibvirtGetsCdromDisksWithTargetsAfterTheDisksAndUserAliases()
    {
        var iso = _dir.Write("a.iso", "x");
        var image = _dir.Write("root.qcow2", "");
        var p = P(("images", "image1"), ("image_name_image1", image[..^".qcow2".Length]), ("image_format", "qcow2"), ("drive_format_image1", "ide"),
            ("cdroms", "cd1 cd2"), ("cdrom_cd1", iso), ("cd_format_cd2", "scsi"));
        var doc = LibvirtDomainXml.Build("vm1", "vm1-x", "qemu", p, null, null);
        var cds = doc.Root!.Element("devices")!.Elements("disk").Where(d => (string?)d.Attribute("device") == "cdrom").ToList();
        Assert.Equal(2, cds.Count);
        Assert.Equal(iso, (string?)cds[0].Element("source")!.Attribute("file"));
        Assert.Equal(("hdc", "ide"), ((string)cds[0].Element("target")!.Attribute("dev")!, (string)cds[0].Element("target")!.Attribute("bus")!));
        Assert.NotNull(cds[0].Element("readonly"));
        Assert.Equal("ua-cd1", (string?)cds[0].Element("alias")!.Attribute("name"));
        Assert.Null(cds[1].Element("source"));
        Assert.Equal(("sda", "scsi"), ((string)cds[1].Element("target")!.Attribute("dev")!, (string)cds[1].Element("target")!.Attribute("bus")!));
        Assert.Single(doc.Root.Element("devices")!.Elements("controller"), c => (string?)c.Attribute("type") == "scsi");
        // The drives read back from a live XML, and the update XML of a medium change.
        var drives = LibvirtCdromOperations.Drives(doc);
        Assert.Equal(new[] { ("cd1", (string?)iso), ("cd2", null) }, drives.Select(d => (d.Id, d.File)));
        var inserted = LibvirtCdromOperations.WithMedium(cds[1], "/isos/new.iso");
        Assert.Equal("/isos/new.iso", (string?)inserted.Element("source")!.Attribute("file"));
        Assert.Equal("driver", inserted.Element("source")!.ElementsBeforeSelf().Last().Name.LocalName);
        Assert.Null(LibvirtCdromOperations.WithMedium(cds[0], null).Element("source"));
        Assert.NotNull(cds[0].Element("source"));
    }

    [Fact]
    public void XenHvmGetsCdromDisksAndParavirtualGuestsAreRefused()
    {
        var iso = _dir.Write("a.iso", "x");
        var hvm = XenDomainConfig.Render("vm1", "d", P(("xen_guest_type", "hvm"), ("cdroms", "cd1 cd2"), ("cdrom_cd1", iso)));
        Assert.Contains($"\"format=raw, vdev=hdc, access=ro, devtype=cdrom, target={iso}\"", hvm, StringComparison.Ordinal);
        Assert.Contains("\"format=raw, vdev=hdd, access=ro, devtype=cdrom, target=\"", hvm, StringComparison.Ordinal);
        var pv = Assert.Throws<VmParamException>(() => XenDomainConfig.Render("vm1", "d", P(("xen_guest_type", "pv"), ("kernel", _dir.Write("vmlinuz", "k")), ("cdroms", "cd1"))));
        Assert.Equal("cdroms", pv.Param);
    }

    [Fact]
    [Trait("Category", "Qemu")]
    public void QueryBlockGivesTheRemovableDrivesWithTheirMediaAndLock()
    {
        var reply = JsonNode.Parse("""
            [
              {"device": "drive_image1", "qdev": "/machine/peripheral/image1/virtio-backend", "removable": false, "locked": false,
               "inserted": {"file": "/img/root.qcow2", "drv": "qcow2", "ro": false, "node-name": "#block123"}},
              {"device": "drive_cd1", "qdev": "cd1", "removable": true, "locked": true, "tray_open": false,
               "inserted": {"file": "/isos/a.iso", "drv": "raw", "ro": true, "node-name": "#block456"}},
              {"device": "drive_cd2", "qdev": "cd2", "removable": true, "locked": false, "tray_open": true}
            ]
            """);
        var drives = QemuCdromOperations.ParseQueryBlock(reply, new Dictionary<string, string> { ["cd1"] = "ide" });
        Assert.Equal(2, drives.Count);
        Assert.Equal(("cd1", "/isos/a.iso", true, "ide", "drive_cd1"), (drives[0].Id, drives[0].File, drives[0].Locked, drives[0].Bus, drives[0].NodeName));
        Assert.Equal(("cd2", (string?)null, false), (drives[1].Id, drives[1].File, drives[1].HasMedium));
        // The disks' listing leaves the drives out (Get-VirtBlockDevice), as on libvirt.
        Assert.Equal(new[] { "image1" }, QemuBlockOperations.ParseQueryBlock(reply).Select(d => d.Id));
    }

    [Fact]
    public void CdromParamsArePartOfTheVmDefinition()
    {
        var a = VirtTest.Core.Runner.VmDefinition.Of(P(("cdroms", "cd1"), ("cdrom_cd1", "/a.iso")));
        Assert.NotEqual(a, VirtTest.Core.Runner.VmDefinition.Of(P(("cdroms", "cd1"), ("cdrom_cd1", "/b.iso"))));
        Assert.NotEqual(a, VirtTest.Core.Runner.VmDefinition.Of(P(("cdroms", "cd1"), ("cdrom_cd1", "/a.iso"), ("cd_format", "scsi"))));
    }
}
