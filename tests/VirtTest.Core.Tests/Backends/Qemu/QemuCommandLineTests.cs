using VirtTest.Core.Backends.Qemu;
using VirtTest.Core.Config;
using VirtTest.Core.Tests.Config;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Backends.Qemu;

[Trait("Category", "Qemu")]
public sealed class QemuCommandLineTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly QemuBinary _binary = QemuBinary.Get(QemuBackend.DefaultBinary);
    private readonly QemuRuntimePaths _paths;

    public QemuCommandLineTests() => _paths = QemuRuntimePaths.In(_dir.Path);

    public void Dispose() => _dir.Dispose();

    private static VirtParams ExpandOne(string config)
    {
        var cfg = new CartesianConfig();
        cfg.ParseString(config);
        return cfg.Expand().Single();
    }

    private IReadOnlyList<string> Build(VirtParams p, string vm = "vm1") =>
        QemuCommandLine.Build(vm, p.ObjectParams(vm), _binary, _paths, incoming: null);

    private static string After(IReadOnlyList<string> args, string option, int occurrence = 0)
    {
        var seen = 0;
        for (var i = 0; i < args.Count - 1; i++)
        {
            if (args[i] == option && seen++ == occurrence) return args[i + 1];
        }
        throw new Xunit.Sdk.XunitException($"{option} #{occurrence} not in: {string.Join(' ', args)}");
    }

    [Fact]
    public void BuildsMemoryCpuMachineKernelAndNicsFromEstablishedParamNames()
    {
        var kernel = _dir.Write("vmlinuz", "k");
        var initrd = _dir.Write("initrd.img", "i");
        var p = ExpandOne($"""
            vms = vm1
            mem = 384
            smp = 2
            machine_type = pc
            kernel = {kernel}
            initrd = {initrd}
            kernel_params = console=ttyS0 quiet
            nics = nic1 nic2
            nic_model = virtio
            nic_model_nic2 = e1000
            mac_nic2 = 52:54:00:12:34:56
            """);
        var args = Build(p);
        Assert.Equal("384", After(args, "-m"));
        Assert.Equal("2", After(args, "-smp"));
        Assert.Equal("pc", After(args, "-machine"));
        Assert.Equal("tcg", After(args, "-accel"));
        Assert.Equal(kernel, After(args, "-kernel"));
        Assert.Equal(initrd, After(args, "-initrd"));
        Assert.Equal("console=ttyS0 quiet", After(args, "-append"));   // one argument: no shell splits it
        Assert.Contains("-S", args);
        var devices = args.Select((a, i) => (a, i)).Where(x => x.a == "-device").Select(x => args[x.i + 1]).ToList();
        Assert.Contains("virtio-net-pci,id=nic1,netdev=netdev_nic1", devices);
        Assert.Contains("e1000,id=nic2,netdev=netdev_nic2,mac=52:54:00:12:34:56", devices);
        Assert.Contains("VGA,id=video0", devices);
        Assert.Equal(_paths.PidFile, After(args, "-pidfile"));
        Assert.Contains(args, a => a.Contains("path=" + _paths.QmpSocket, StringComparison.Ordinal));
        Assert.Contains(args, a => a.Contains("logfile=" + _paths.ConsoleLog, StringComparison.Ordinal));
    }

    [Fact]
    public void BridgeNicsOpenTheDriversTapsWithQueuesAndVhost()
    {
        var p = ExpandOne("""
            vms = vm1
            nics = nic1 nic2 nic3
            nettype = bridge
            netdst = vtnabcde-br
            netdst_netns = vtnabcde
            queues_nic1 = 2
            vhost_nic1 = off
            mac_nic1 = 52:54:00:12:34:01
            nettype_nic3 = none
            """).ObjectParams("vm1");
        var taps = new Dictionary<string, string> { ["nic1"] = "vtnk3-vm1-nic1", ["nic2"] = "vtnk3-vm1-nic2" };
        var args = QemuCommandLine.Build("vm1", p, _binary, _paths, incoming: null, taps: taps);
        Assert.Equal("tap,id=netdev_nic1,ifname=vtnk3-vm1-nic1,script=no,downscript=no,vhost=off,queues=2", After(args, "-netdev"));
        Assert.Equal("tap,id=netdev_nic2,ifname=vtnk3-vm1-nic2,script=no,downscript=no", After(args, "-netdev", 1));
        var devices = args.Select((a, i) => (a, i)).Where(x => x.a == "-device").Select(x => args[x.i + 1]).ToList();
        Assert.Contains("virtio-net-pci,id=nic1,mq=on,vectors=6,netdev=netdev_nic1,mac=52:54:00:12:34:01", devices);
        Assert.Contains("virtio-net-pci,id=nic2,netdev=netdev_nic2", devices);
        Assert.Contains("virtio-net-pci,id=nic3", devices); // nettype = none: a card without a network
        Assert.Equal(2, args.Count(a => a == "-netdev"));
        // Without the driver's taps (validation), placeholder names that still fit IFNAMSIZ.
        Assert.Contains(QemuCommandLine.Build("vm1", p, _binary, _paths, incoming: null), a => a.StartsWith("tap,id=netdev_nic1,ifname=vtn00-vm1-nic1,", StringComparison.Ordinal));
    }

    [Fact]
    public void AnImpossibleNicModelNamesTheParamAndTheValidChoices()
    {
        var p = ExpandOne("vms = vm1\nnics = nic1\nnic_model = no-such-nic\n");
        var ex = Assert.Throws<VmParamException>(() => Build(p));
        Assert.Equal("nic_model", ex.Param);
        Assert.Equal("no-such-nic", ex.Value);
        Assert.Contains("e1000", ex.ValidChoices);
        Assert.Contains("virtio-net-pci", ex.ValidChoices);
        Assert.DoesNotContain("VGA", ex.ValidChoices);
        Assert.Contains("nic_model", ex.Message);
        Assert.Contains("e1000", ex.Message);
    }

    [Theory]
    [InlineData("machine_type = no-such-machine", "machine_type", "pc")]
    [InlineData("vga = rainbow", "vga", "std")]
    [InlineData("display = sdl", "display", "vnc")]
    [InlineData("mem = lots", "mem", null)]
    [InlineData("smp = 0", "smp", null)]
    [InlineData("accel = hvf", "accel", "tcg")]
    [InlineData("nics = nic1\nnettype = tap", "nettype_nic1", "user")]
    [InlineData("nics = nic1\nnettype = bridge", "netdst_nic1", null)]
    [InlineData("nics = nic1\nnettype = network\nnetdst = default", "nettype", "bridge")]
    [InlineData("nics = nic1\nnettype = bridge\nnetdst = br0\nqueues = 2\nnic_model = e1000", "queues_nic1", null)]
    [InlineData("monitors = m1\nmonitor_type = serial", "monitor_type_m1", "human")]
    public void BadValuesFailBeforeQemuStartsNamingTheParam(string line, string param, string? aValidChoice)
    {
        var ex = Assert.Throws<VmParamException>(() => Build(ExpandOne("vms = vm1\n" + line + "\n")));
        Assert.Equal(param, ex.Param);
        if (aValidChoice is not null) Assert.Contains(aValidChoice, ex.ValidChoices);
        Assert.Contains("vm1", ex.Message);
    }

    [Fact]
    public void MissingKernelAndImageFilesNameTheirParams()
    {
        var kernelError = Assert.Throws<VmParamException>(() => Build(ExpandOne("vms = vm1\nkernel = /no/such/vmlinuz\n")));
        Assert.Equal("kernel", kernelError.Param);
        var imageError = Assert.Throws<VmParamException>(() => Build(ExpandOne($"vms = vm1\nimages = image1\nimage_name = {_dir.Path}/nothing\nimage_format = qcow2\n")));
        Assert.Equal("image_name_image1", imageError.Param);
        Assert.Contains("nothing.qcow2", imageError.Message);
    }

    [Fact]
    public void ImagesBecomeDrivesWithTheirFormatAndDeviceAndCommasInPathsAreEscaped()
    {
        var image = _dir.Write("disk,1.qcow2", "");
        _dir.Write("data.raw", "");
        var p = ExpandOne($"""
            vms = vm1
            images = image1 data
            image_name = {_dir.Path}/disk,1
            image_format = qcow2
            drive_format = virtio
            image_name_data = {_dir.Path}/data
            image_format_data = raw
            drive_format_data = scsi
            """);
        var args = Build(p);
        Assert.Equal($"file={_dir.Path}/disk,,1.qcow2,if=none,id=drive_image1,format=qcow2", After(args, "-drive"));
        Assert.Equal($"file={_dir.Path}/data.raw,if=none,id=drive_data,format=raw", After(args, "-drive", 1));
        Assert.Contains("virtio-blk-pci,drive=drive_image1,id=image1", args);
        Assert.Contains("scsi-hd,drive=drive_data,id=data", args);
        Assert.Contains("virtio-scsi-pci,id=scsi0", args);
        Assert.True(File.Exists(image));
    }

    [Fact]
    public void ExtraParamsAreSplitIntoArgumentsWithoutAShell()
    {
        var p = ExpandOne("vms = vm1\nextra_params = -device 'pci-bridge,chassis_nr=1,id=br 1' -global \"kvm-pit.lost_tick_policy=delay\" ; rm -rf x\n");
        var args = Build(p);
        // The shell metacharacters stay plain arguments (QEMU would reject them): nothing runs them.
        Assert.Equal(new[] { "-device", "pci-bridge,chassis_nr=1,id=br 1", "-global", "kvm-pit.lost_tick_policy=delay", ";", "rm", "-rf", "x" }, args.TakeLast(8));
    }

    [Theory]
    [InlineData("a b", new[] { "a", "b" })]
    [InlineData("  'x y'  z", new[] { "x y", "z" })]
    [InlineData("\"a \\\"q\\\" b\"", new[] { "a \"q\" b" })]
    [InlineData("a\\ b c", new[] { "a b", "c" })]
    [InlineData("''", new[] { "" })]
    [InlineData("", new string[0])]
    public void SplitsArgumentsLikeAPosixShellWithoutRunningOne(string text, string[] expected) =>
        Assert.Equal(expected, QemuCommandLine.SplitArguments(text));

    [Fact]
    public void AnUnclosedQuoteInExtraParamsIsAnError() =>
        Assert.Throws<FormatException>(() => QemuCommandLine.SplitArguments("-name 'oops"));

    [Fact]
    public void CapabilitiesFollowTheParams()
    {
        var backend = new QemuBackend();
        Assert.True(backend.GetCapabilities(ExpandOne("vga = std\n")).HasFlag(VmCapability.Screendump));
        Assert.False(backend.GetCapabilities(ExpandOne("vga = none\n")).HasFlag(VmCapability.Screendump));
        Assert.False(backend.GetCapabilities(ExpandOne("machine_type = microvm\n")).HasFlag(VmCapability.PciHotplug));
        Assert.True(backend.GetCapabilities(ExpandOne("machine_type = pc\n")).HasFlag(VmCapability.PciHotplug));
    }

    [Fact]
    public void AnUnknownVmTypeListsTheRegisteredBackends()
    {
        var ex = Assert.Throws<VmParamException>(() => VirtualMachine.FromParams(ExpandOne("vms = vm1\nvm_type = bochs\n")));
        Assert.Equal("vm_type", ex.Param);
        Assert.Contains("qemu", ex.ValidChoices);
    }
}
