using VirtTest.Core.Backends.Xen;
using VirtTest.Core.Config;
using VirtTest.Core.Tests.Config;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Backends.Xen;

/// <summary>
/// The xl domain configurations the Xen backend generates, compared with golden files written
/// from the xl.cfg(5) documentation. No Xen host: xl itself never parsed these files here.
/// </summary>
public sealed class XenWithoutHypervisor_ConfigTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    // Found from the test assembly's folder: CallerFilePath is "/_/..." in CI's deterministic builds.
    private static string GoldenPath(string name) =>
        Path.Combine(TestPaths.RepoRoot, "tests", "VirtTest.Core.Tests", "Backends", "Xen", "golden", name);

    private static VirtParams P(params (string Key, string Value)[] items) =>
        new(items.Select(i => new KeyValuePair<string, string>(i.Key, i.Value)));

    private string Render(VirtParams p) =>
        XenDomainConfig.Render("vm1", "vt-golden", p).Replace(_dir.Path, "@DIR@", StringComparison.Ordinal);

    private static void AssertGolden(string golden, string actual)
    {
        var expected = File.ReadAllText(GoldenPath(golden));
        Assert.True(expected == actual, $"Generated config differs from golden/{golden}.\n--- expected\n{expected}\n--- actual\n{actual}");
    }

    [Fact]
    public void HvmWithDirectKernelBootDisksNicsAndVncMatchesGoldenFile()
    {
        _dir.Write("vmlinuz", "k");
        _dir.Write("initrd.img", "i");
        _dir.Write("root.qcow2", "");
        _dir.Write("data,disk.raw", "");
        var p = P(
            ("vm_type", "xen"), ("mem", "1024"), ("smp", "2"),
            ("kernel", Path.Combine(_dir.Path, "vmlinuz")), ("initrd", Path.Combine(_dir.Path, "initrd.img")),
            ("kernel_params", "console=ttyS0 root=\"/dev/xvda1\" quiet"),
            ("images", "root data"),
            ("image_name_root", Path.Combine(_dir.Path, "root")), ("image_format_root", "qcow2"),
            ("image_name_data", Path.Combine(_dir.Path, "data,disk")), ("image_format_data", "raw"),
            ("drive_format_data", "ide"), ("image_readonly_data", "yes"),
            ("nics", "nic1 nic2"),
            ("nic_model_nic1", "e1000"), ("mac_nic1", "52:54:00:12:34:56"), ("netdst_nic1", "xenbr1"),
            ("nic_model_nic2", "netfront"),
            ("display", "vnc"), ("vga", "cirrus"), ("on_reboot", "destroy"));
        AssertGolden("hvm-full.cfg", Render(p));
    }

    [Fact]
    public void PvGuestWithKernelRawDiskAndVncFramebufferMatchesGoldenFile()
    {
        _dir.Write("vmlinuz", "k");
        _dir.Write("initrd.img", "i");
        _dir.Write("root.raw", "");
        var p = P(
            ("vm_type", "xen"), ("xen_guest_type", "pv"), ("mem", "256"),
            ("kernel", Path.Combine(_dir.Path, "vmlinuz")), ("initrd", Path.Combine(_dir.Path, "initrd.img")),
            ("kernel_params", "console=hvc0"),
            ("images", "root"), ("image_name_root", Path.Combine(_dir.Path, "root")), ("image_format_root", "raw"),
            ("nics", "nic1"), ("mac_nic1", "00:16:3e:00:00:01"),
            ("display", "vnc"));
        AssertGolden("pv-kernel.cfg", Render(p));
    }

    [Fact]
    public void HvmDefaultsMatchGoldenFile()
    {
        AssertGolden("hvm-minimal.cfg", Render(P(("vm_type", "xen"))));
    }

    [Fact]
    public void WriterEscapesQuotesBackslashesAndLineBreaksSoAValueCannotAddASetting()
    {
        var text = XlConfigWriter.Write(new[]
        {
            new KeyValuePair<string, XlConfigValue>("cmdline", XlConfigValue.Str("a\"; memory = 1\nvcpus = 64 \\ end\t'x'")),
        });
        Assert.Equal("cmdline = \"a\\\"; memory = 1\\nvcpus = 64 \\\\ end\\t'x'\"\n", text);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void WriterFormatsNumbersAndNestedLists()
    {
        var value = XlConfigValue.List(new[] { XlConfigValue.Num(1), XlConfigValue.StrList(new[] { "a", "b" }), XlConfigValue.List(Array.Empty<XlConfigValue>()) });
        Assert.Equal("[ 1, [ \"a\", \"b\" ], [ ] ]", XlConfigWriter.Format(value));
        Assert.Equal("0", XlConfigWriter.Format(XlConfigValue.Bool(false)));
    }

    [Fact]
    public void WriterRefusesControlCharactersAndBadKeys()
    {
        var ex = Assert.Throws<ArgumentException>(() => XlConfigWriter.Quote("a\u0001b"));
        Assert.Contains("U+0001", ex.Message);
        var key = Assert.Throws<ArgumentException>(() => XlConfigWriter.Write(new[] { new KeyValuePair<string, XlConfigValue>("memory = 1; x", XlConfigValue.Num(1)) }));
        Assert.Contains("not a valid xl config key", key.Message);
    }

    [Theory]
    [InlineData("xen_guest_type", "pvhvm", "xen_guest_type", "hvm, pv, pvh")]
    [InlineData("display", "spice", "display", "none, vnc, sdl")]
    [InlineData("vga", "virtio", "vga", "std, cirrus, qxl, none")]
    [InlineData("on_crash", "explode", "on_crash", "destroy, restart")]
    [InlineData("mem", "lots", "mem", null)]
    public void BadParamValuesFailWithTheParamAndTheChoices(string key, string value, string param, string? choices)
    {
        var ex = Assert.Throws<VmParamException>(() => XenDomainConfig.Build("vm1", "d", P(("vm_type", "xen"), (key, value))));
        Assert.Equal(param, ex.Param);
        Assert.Equal(value, ex.Value);
        Assert.Contains("VM 'vm1'", ex.Message);
        if (choices is not null) Assert.Contains(choices, ex.Message);
    }

    [Fact]
    public void PvhGuestMatchesGoldenFileAndHasNoEmulatedDevices()
    {
        _dir.Write("vmlinuz", "k");
        var p = P(
            ("vm_type", "xen"), ("xen_guest_type", "pvh"), ("mem", "128"),
            ("kernel", Path.Combine(_dir.Path, "vmlinuz")), ("kernel_params", "console=hvc0"),
            ("nics", "nic1"), ("netdst_nic1", "xenbr1"));
        AssertGolden("pvh-kernel.cfg", Render(p));
        Assert.Equal("kernel", Assert.Throws<VmParamException>(() => XenDomainConfig.Build("vm1", "d", P(("xen_guest_type", "pvh"), ("xen_bootloader", "pygrub")))).Param);
        Assert.Equal("display", Assert.Throws<VmParamException>(() => XenDomainConfig.Build("vm1", "d", P(("xen_guest_type", "pvh"), ("kernel", Path.Combine(_dir.Path, "vmlinuz")), ("display", "vnc")))).Param);
        Assert.Equal("nic_model_nic1", Assert.Throws<VmParamException>(() => XenDomainConfig.Build("vm1", "d", P(("xen_guest_type", "pvh"), ("kernel", Path.Combine(_dir.Path, "vmlinuz")), ("nics", "nic1"), ("nic_model_nic1", "e1000")))).Param);
    }

    [Fact]
    public void OnARemoteXenHostKernelsAreTheHostCopiesAndDisksAreHostPaths()
    {
        _dir.Write("vmlinuz", "k");
        var kernel = Path.Combine(_dir.Path, "vmlinuz");
        var p = P(("xen_host", "root@xen1:2222"), ("xen_guest_type", "pv"), ("kernel", kernel),
            ("images", "root"), ("image_name_root", "/srv/images/root"), ("image_format_root", "raw"));
        Assert.Equal(new[] { ("kernel", kernel) }, XenDomainConfig.LocalFiles("vm1", p));
        var text = XenDomainConfig.Render("vm1", "d", p, new Dictionary<string, string> { ["kernel"] = "/var/tmp/virttest/files-x/k" });
        Assert.Contains("kernel = \"/var/tmp/virttest/files-x/k\"\n", text);
        // The disk is not on this machine, and is not looked for here.
        Assert.Contains("target=/srv/images/root.raw\" ]", text);
        var relative = P(("xen_host", "root@xen1"), ("xen_guest_type", "pv"), ("kernel", kernel), ("images", "root"), ("image_name_root", "images/root"));
        Assert.Equal("image_name_root", Assert.Throws<VmParamException>(() => XenDomainConfig.Build("vm1", "d", relative)).Param);
        // The kernel is copied from here: it must exist here.
        Assert.Equal("kernel", Assert.Throws<VmParamException>(() => XenDomainConfig.LocalFiles("vm1", P(("xen_host", "root@xen1"), ("kernel", "/nonexistent/vmlinuz")))).Param);
    }

    [Fact]
    public void PvGuestWithoutKernelOrBootloaderIsRefused()
    {
        var ex = Assert.Throws<VmParamException>(() => XenDomainConfig.Build("vm1", "d", P(("xen_guest_type", "pv"))));
        Assert.Equal("kernel", ex.Param);
        var withLoader = XenDomainConfig.Render("vm1", "d", P(("xen_guest_type", "pv"), ("xen_bootloader", "pygrub")));
        Assert.Contains("bootloader = \"pygrub\"\n", withLoader);
    }

    [Fact]
    public void PvGuestRefusesEmulatedNicModelsAndDiskBuses()
    {
        _dir.Write("vmlinuz", "k");
        _dir.Write("root.qcow2", "");
        var kernel = Path.Combine(_dir.Path, "vmlinuz");
        var nic = Assert.Throws<VmParamException>(() => XenDomainConfig.Build("vm1", "d",
            P(("xen_guest_type", "pv"), ("kernel", kernel), ("nics", "nic1"), ("nic_model", "e1000"))));
        Assert.Equal("nic_model_nic1", nic.Param);
        Assert.Contains("xen_guest_type = hvm", nic.Message);
        var disk = Assert.Throws<VmParamException>(() => XenDomainConfig.Build("vm1", "d",
            P(("xen_guest_type", "pv"), ("kernel", kernel), ("images", "root"), ("image_name", Path.Combine(_dir.Path, "root")), ("drive_format", "ide"))));
        Assert.Equal("drive_format_root", disk.Param);
    }

    [Fact]
    public void NetworkAndDiskValuesAreChecked()
    {
        Assert.Equal("nettype_nic1", Assert.Throws<VmParamException>(() => XenDomainConfig.Build("vm1", "d", P(("nics", "nic1"), ("nettype", "user")))).Param);
        Assert.Equal("mac_nic1", Assert.Throws<VmParamException>(() => XenDomainConfig.Build("vm1", "d", P(("nics", "nic1"), ("mac", "52:54:00:12:34,bridge=evil")))).Param);
        Assert.Equal("netdst_nic1", Assert.Throws<VmParamException>(() => XenDomainConfig.Build("vm1", "d", P(("nics", "nic1"), ("netdst", "br0,script=/tmp/x")))).Param);
        Assert.Equal("image_format_root", Assert.Throws<VmParamException>(() => XenDomainConfig.Build("vm1", "d", P(("images", "root"), ("image_name", "/x"), ("image_format", "vmdk")))).Param);
        var missing = Assert.Throws<VmParamException>(() => XenDomainConfig.Build("vm1", "d", P(("images", "root"), ("image_name", Path.Combine(_dir.Path, "nope")))));
        Assert.Equal("image_name_root", missing.Param);
        Assert.Contains("no such file", missing.Message);
        Assert.Equal("image_snapshot_root", Assert.Throws<VmParamException>(() => XenDomainConfig.Build("vm1", "d", P(("images", "root"), ("image_name", "/x"), ("image_snapshot", "yes")))).Param);
    }

    [Fact]
    public void CreateDriverValidatesParamsBeforeAnythingRuns()
    {
        var runner = new RecordingXlRunner();
        var backend = new XenBackend(runner);
        Assert.Throws<VmParamException>(() => backend.CreateDriver("vm1", P(("vm_type", "xen"), ("display", "spice"))));
        Assert.Empty(runner.Commands);
    }
}
