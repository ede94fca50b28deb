using VirtTest.Core.Backends.Qemu;
using Xunit;

namespace VirtTest.Core.Tests.Backends.Qemu;

[Trait("Category", "Qemu")]
public sealed class QemuBinaryTests
{
    [Fact]
    public void ParsesDeviceHelpWithCategoriesAliasesAndBuses()
    {
        const string help = "Network devices:\n" +
            "name \"e1000\", bus PCI, alias \"e1000-82540em\", desc \"Intel Gigabit Ethernet\"\n" +
            "name \"virtio-net-pci\", bus PCI, alias \"virtio-net\"\n\n" +
            "Display devices:\n" +
            "name \"VGA\", bus PCI\n" +
            "name \"isa-vga\", bus ISA\n";
        var devices = QemuBinary.ParseDevices(help);
        Assert.Equal(new[] { "e1000", "virtio-net-pci", "VGA", "isa-vga" }, devices.Select(d => d.Name));
        Assert.Equal("Network devices", devices[0].Category);
        Assert.Equal("e1000-82540em", devices[0].Alias);
        Assert.Equal("Intel Gigabit Ethernet", devices[0].Description);
        Assert.Equal("ISA", devices[3].Bus);
        Assert.Null(devices[2].Description);
    }

    [Fact]
    public void ParsesMachineHelpWithAliases()
    {
        const string help = "Supported machines are:\n" +
            "pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)\n" +
            "pc-i440fx-7.2        Standard PC (i440FX + PIIX, 1996) (default)\n" +
            "none                 empty machine\n";
        var (machines, aliases) = QemuBinary.ParseMachines(help);
        Assert.Equal(new[] { "pc", "pc-i440fx-7.2", "none" }, machines);
        Assert.Equal("pc-i440fx-7.2", aliases["pc"]);
    }

    [Fact]
    public void ProbesTheInstalledBinaryOnceAndFindsWhatTheTestsUse()
    {
        var binary = QemuBinary.Get(QemuBackend.DefaultBinary);
        Assert.Same(binary, QemuBinary.Get(QemuBackend.DefaultBinary));
        Assert.Matches(@"^\d+\.\d+", binary.Version);
        Assert.True(binary.HasMachine("pc"));
        Assert.Contains("e1000", binary.DeviceNames("Network devices"));
        Assert.Contains("virtio-net-pci", binary.DeviceNames("Network devices"));
        Assert.True(binary.HasDevice("VGA"));
        Assert.DoesNotContain("VGA", binary.DeviceNames("Network devices"));
    }

    [Fact]
    public void AMissingBinaryNamesItselfAndTheFix()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => QemuBinary.Get("qemu-system-no-such-arch"));
        Assert.Contains("qemu-system-no-such-arch", ex.Message);
        Assert.Contains("apt-get install", ex.Message);
    }
}
