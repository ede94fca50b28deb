using System.Xml.Linq;
using VirtTest.Core.Backends.Libvirt;
using VirtTest.Core.Config;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Tests.Backends.Libvirt;

[Trait("Category", "Libvirt")]
public sealed class LibvirtDomainXmlTests
{
    [Fact]
    public void ParamsBecomeDomainXmlAndValuesAreNeverParsedAsMarkup()
    {
        var kernel = Path.GetTempFileName();
        try
        {
            var p = new VirtParams
            {
                ["mem"] = "300", ["smp"] = "2", ["machine_type"] = "q35", ["kernel"] = kernel,
                ["kernel_params"] = "console=ttyS0 x='<a>&amp;\"'", ["nics"] = "nic1 nic2", ["nic_model"] = "e1000",
                ["nic_model_nic2"] = "virtio", ["mac_nic2"] = "52:54:00:12:34:56", ["display"] = "vnc", ["vga"] = "cirrus",
                ["enable_kvm"] = "no",
            };
            var doc = LibvirtDomainXml.Build("vm1", "vm1-abc", "qemu", p, "/run/x/console.log", "/run/x");
            var d = doc.Root!;
            Assert.Equal("qemu", (string?)d.Attribute("type"));
            Assert.Equal("vm1-abc", (string?)d.Element("name"));
            Assert.Equal("300", (string?)d.Element("memory"));
            Assert.Equal("MiB", (string?)d.Element("memory")!.Attribute("unit"));
            Assert.Equal("2", (string?)d.Element("vcpu"));
            Assert.Equal("q35", (string?)d.Element("os")!.Element("type")!.Attribute("machine"));
            // Round trip through text: the markup-like value comes back as the same text.
            var reparsed = XDocument.Parse(doc.ToString());
            Assert.Equal("console=ttyS0 x='<a>&amp;\"'", (string?)reparsed.Root!.Element("os")!.Element("cmdline"));
            var nics = reparsed.Root.Element("devices")!.Elements("interface").ToList();
            Assert.Equal(new[] { "e1000", "virtio" }, nics.Select(n => (string?)n.Element("model")!.Attribute("type")));
            Assert.Equal(new[] { "ua-nic1", "ua-nic2" }, nics.Select(n => (string?)n.Element("alias")!.Attribute("name")));
            Assert.Equal("52:54:00:12:34:56", (string?)nics[1].Element("mac")!.Attribute("address"));
            var serial = reparsed.Root.Element("devices")!.Element("serial")!;
            Assert.Equal("/run/x/console.log", (string?)serial.Element("log")!.Attribute("file"));
            Assert.Equal("/run/x/vnc.sock", (string?)reparsed.Root.Element("devices")!.Element("graphics")!.Attribute("socket"));
            Assert.Equal("cirrus", (string?)reparsed.Root.Element("devices")!.Element("video")!.Element("model")!.Attribute("type"));
            // No default devices the params did not ask for (balloon, USB controller).
            Assert.Equal("none", (string?)reparsed.Root.Element("devices")!.Element("memballoon")!.Attribute("model"));
            Assert.Equal("none", (string?)reparsed.Root.Element("devices")!.Elements("controller").Single(c => (string?)c.Attribute("type") == "usb").Attribute("model"));
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    [Fact]
    public void HotplugMapsNetworkCardModelsAndRefusesOthersWithTheChoices()
    {
        var nic = LibvirtDomainXml.HotplugInterface("vm1", "virtio-net-pci", "ua-hot", new Dictionary<string, string> { ["mac"] = "52:54:00:00:00:01" });
        Assert.Equal("virtio", (string?)nic.Element("model")!.Attribute("type"));
        Assert.Equal("ua-hot", (string?)nic.Element("alias")!.Attribute("name"));
        var error = Assert.Throws<VmParamException>(() => LibvirtDomainXml.HotplugInterface("vm1", "virtio-blk-pci", "ua-x", new Dictionary<string, string>()));
        Assert.Contains("virtio-blk-pci", error.Message);
        Assert.Contains("e1000", error.ValidChoices);
        Assert.Throws<VmParamException>(() => LibvirtDomainXml.HotplugInterface("vm1", "e1000", "ua-x", new Dictionary<string, string> { ["bus"] = "pci.1" }));
    }

    [Fact]
    public void PciDevicesAreReadFromTheLiveXmlWithAliasesAsIds()
    {
        var doc = XDocument.Parse("""
            <domain><devices>
              <interface type='user'><alias name='ua-hot'/><address type='pci' domain='0x0000' bus='0x00' slot='0x0a' function='0x0'/></interface>
              <video><alias name='video0'/><address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/></video>
              <serial type='pty'><alias name='serial0'/></serial>
            </devices></domain>
            """);
        var list = LibvirtMonitor.PciFromXml(doc);
        Assert.Equal(2, list.Count);
        Assert.Equal("00:02.0", list[0].Address);
        Assert.Equal("video0", list[0].QdevId);
        Assert.Equal("00:0a.0", list[1].Address);
        Assert.Equal("hot", list[1].QdevId);
    }
}
