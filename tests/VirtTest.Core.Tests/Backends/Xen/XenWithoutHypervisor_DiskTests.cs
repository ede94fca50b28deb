using VirtTest.Core.Backends.Xen;
using VirtTest.Core.Config;
using VirtTest.Core.Monitor;
using VirtTest.Core.Storage;
using VirtTest.Core.Tests.Config;
using VirtTest.Core.Tests.Storage;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Tests.Backends.Xen;

/// <summary>
/// Disk hot-plug on the Xen backend, recorded by a fake xl: the block-attach spec string, the
/// disks read from 'xl list -l' JSON (as libxl prints its domain configuration), block-detach,
/// and what Xen cannot do. Not run against a Xen hypervisor.
/// </summary>
public sealed class XenWithoutHypervisor_DiskTests : IDisposable
{
    private readonly TempDir _sysfs = new();
    private readonly ImageDir _dir = new();
    private readonly RecordingXlRunner _xl = new();

    public void Dispose()
    {
        _sysfs.Dispose();
        _dir.Dispose();
    }

    private XenVmDriver Driver() =>
        (XenVmDriver)new XenBackend(_xl, _sysfs.Path).CreateDriver("vm1", new VirtParams(new Dictionary<string, string> { ["vm_type"] = "xen" }));

    private static string ListJson(params (string Vdev, string File, string Format, bool Rw)[] disks) =>
        "[\n{\n    \"domid\": 7,\n    \"config\": {\n        \"c_info\": { \"name\": \"x\" },\n        \"disks\": [\n" +
        string.Join(",\n", disks.Select(d => $"            {{ \"pdev_path\": \"{d.File}\", \"vdev\": \"{d.Vdev}\", \"backend\": \"qdisk\", \"format\": \"{d.Format}\"" + (d.Rw ? ", \"readwrite\": 1" : "") + " }")) +
        "\n        ]\n    }\n}\n]\n";

    [Fact]
    public void Disks_come_from_the_libxl_configuration_json()
    {
        var disks = XenBlockOperations.ParseDisks(ListJson(("xvda", "/i/root.qcow2", "qcow2", true), ("xvdb", "/i/iso.raw", "raw", false)));
        Assert.Equal(new[] { ("xvda", "/i/root.qcow2", "qcow2", false, "xen"), ("xvdb", "/i/iso.raw", "raw", true, "xen") },
            disks.Select(d => (d.Id, d.File!, d.Format!, d.ReadOnly, d.Bus!)));
        Assert.Throws<MonitorException>(() => XenBlockOperations.ParseDisks("Name ID Mem"));
    }

    [Fact]
    public async Task A_disk_is_attached_with_a_spec_string_listed_and_detached_by_its_vdev()
    {
        var file = _dir.File("data.qcow2");
        await new QemuImg().CreateAsync(file, new ImageCreateOptions { Size = "8M" });
        var attached = false;
        _xl.On("block-attach", _ => { attached = true; return RecordingXlRunner.Ok(); });
        _xl.On("block-detach", _ => { attached = false; return RecordingXlRunner.Ok(); });
        _xl.On("list", args => args.Count > 1 && args[1] == "-l"
            ? RecordingXlRunner.Ok(attached ? ListJson(("xvda", "/i/root.qcow2", "qcow2", true), ("xvdb", file, "qcow2", true)) : ListJson(("xvda", "/i/root.qcow2", "qcow2", true)))
            : RecordingXlRunner.Ok());
        var d = Driver();
        await d.StartAsync(false, default);
        var disk = await d.Monitor.Disks.AddDiskAsync(new DiskSpec(file), TimeSpan.FromSeconds(5), default);
        Assert.Contains($"block-attach {d.DomainName} format=qcow2,vdev=xvdb,access=rw,target={file}", _xl.Commands);
        Assert.Equal(("xvdb", file, 8L << 20), (disk.Id, disk.File, disk.Size));
        await d.Monitor.Disks.RemoveDiskAsync("xvdb", TimeSpan.FromSeconds(5), default);
        Assert.Contains($"block-detach {d.DomainName} xvdb", _xl.Commands);
        Assert.Single(await d.Monitor.Disks.GetBlockDevicesAsync(default));
        await d.KillAsync();
    }

    [Fact]
    public async Task What_xl_cannot_do_is_refused_before_xl_runs()
    {
        var file = _dir.File("d.qcow2");
        await new QemuImg().CreateAsync(file, new ImageCreateOptions { Size = "8M" });
        _xl.On("list", _ => RecordingXlRunner.Ok(ListJson(("xvda", "/i/root.qcow2", "qcow2", true))));
        var d = Driver();
        await d.StartAsync(false, default);
        var before = _xl.Commands.Count(c => c.StartsWith("block", StringComparison.Ordinal));
        await Assert.ThrowsAsync<NotSupportedByBackendException>(() => d.Monitor.Disks.AddDiskAsync(new DiskSpec(file) { Bus = DiskBus.Scsi }, TimeSpan.FromSeconds(1), default));
        await Assert.ThrowsAsync<ArgumentException>(() => d.Monitor.Disks.AddDiskAsync(new DiskSpec(file) { Id = "disk2" }, TimeSpan.FromSeconds(1), default));
        await Assert.ThrowsAsync<ImageNotFoundException>(() => d.Monitor.Disks.AddDiskAsync(new DiskSpec(_dir.File("none.qcow2")), TimeSpan.FromSeconds(1), default));
        await Assert.ThrowsAsync<BlockDeviceNotFoundException>(() => d.Monitor.Disks.RemoveDiskAsync("xvdq", TimeSpan.FromSeconds(1), default));
        await Assert.ThrowsAsync<NotSupportedByBackendException>(() => d.Monitor.Disks.StartBlockJobAsync(new BlockJobSpec(BlockJobType.Stream, "xvda"), default));
        Assert.Equal(before, _xl.Commands.Count(c => c.StartsWith("block", StringComparison.Ordinal)));
        var caps = XenBackend.ForGuestType(XenGuestType.Pv);
        Assert.True(caps.HasFlag(VmCapability.DiskHotplug) && caps.HasFlag(VmCapability.BlockInfo));
        Assert.False(caps.HasFlag(VmCapability.BlockJobs) || caps.HasFlag(VmCapability.LiveSnapshot));
        // On a Xen host reached over SSH the disk is the host's file: hot-plug is declared there too.
        var remote = new XenBackend().GetCapabilities(new VirtTest.Core.Config.VirtParams(new Dictionary<string, string>
        {
            ["vm_type"] = "xen", ["xen_guest_type"] = "pv", ["xen_host"] = "root@127.0.0.1:2222",
        }));
        Assert.True(remote.HasFlag(VmCapability.DiskHotplug) && remote.HasFlag(VmCapability.BlockInfo));
        await d.KillAsync();
    }

    private XenVmDriver RemoteDriver(RecordingXlRunner xl) =>
        (XenVmDriver)new XenBackend(xl, _sysfs.Path).CreateDriver("vm1", new VirtParams(new Dictionary<string, string> { ["vm_type"] = "xen" }));

    private static byte[] Qcow2Header(long virtualSize)
    {
        var h = new byte[512];
        new byte[] { (byte)'Q', (byte)'F', (byte)'I', 0xFB, 0, 0, 0, 3 }.CopyTo(h, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(h.AsSpan(24), (ulong)virtualSize);
        return h;
    }

    [Fact]
    public async Task On_a_remote_Xen_host_the_disk_is_the_hosts_file_probed_there_not_on_this_machine()
    {
        var xl = new RecordingXlRunner { RemoteHost = "root@xenhost:22" };
        xl.HostFiles["/var/lib/xen/images/data.qcow2"] = Qcow2Header(64L << 20);
        xl.HostFiles["/var/lib/xen/images/data.img"] = new byte[3 << 20];
        var attached = new List<(string Vdev, string File, string Format)>();
        xl.On("block-attach", args =>
        {
            var spec = args[2];
            attached.Add((spec.Split(",vdev=")[1].Split(',')[0], spec[(spec.IndexOf("target=", StringComparison.Ordinal) + 7)..], spec.Split(',')[0][7..]));
            return RecordingXlRunner.Ok();
        });
        xl.On("list", args => args.Count > 1 && args[1] == "-l"
            ? RecordingXlRunner.Ok(ListJson(new[] { ("xvda", "/i/root.qcow2", "qcow2", true) }.Concat(attached.Select(a => (a.Vdev, a.File, a.Format, true))).ToArray()))
            : RecordingXlRunner.Ok());
        var d = RemoteDriver(xl);
        await d.StartAsync(false, default);
        // Neither file exists on this machine: the host's header gives format and size.
        var qcow = await d.Monitor.Disks.AddDiskAsync(new DiskSpec("/var/lib/xen/images/data.qcow2"), TimeSpan.FromSeconds(5), default);
        var raw = await d.Monitor.Disks.AddDiskAsync(new DiskSpec("/var/lib/xen/images/data.img"), TimeSpan.FromSeconds(5), default);
        Assert.Contains($"block-attach {d.DomainName} format=qcow2,vdev=xvdb,access=rw,target=/var/lib/xen/images/data.qcow2", xl.Commands);
        Assert.Contains($"block-attach {d.DomainName} format=raw,vdev=xvdc,access=rw,target=/var/lib/xen/images/data.img", xl.Commands);
        Assert.Equal((64L << 20, 3L << 20), (qcow.Size, raw.Size));
        // A missing host file is a typed error naming the host; a relative path means nothing there.
        var missing = await Assert.ThrowsAsync<ImageNotFoundException>(() => d.Monitor.Disks.AddDiskAsync(new DiskSpec("/var/lib/xen/images/none.img"), TimeSpan.FromSeconds(1), default));
        Assert.Equal("root@xenhost:22", missing.Host);
        Assert.Contains("root@xenhost:22", missing.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => d.Monitor.Disks.AddDiskAsync(new DiskSpec("data.img"), TimeSpan.FromSeconds(1), default));
        Assert.Equal(2, xl.Commands.Count(c => c.StartsWith("block-attach", StringComparison.Ordinal)));
        Assert.Contains("/var/lib/xen/images/none.img", xl.Probed);
        await d.KillAsync();
    }

    [Theory]
    [InlineData("raw")]
    [InlineData("qcow2")]
    [InlineData("vpc")]
    [InlineData("qed")]
    public async Task The_host_header_reader_agrees_with_qemu_img_on_format_and_size(string qemuFormat)
    {
        var file = _dir.File("probe." + qemuFormat);
        await new QemuImg().CreateAsync(file, new ImageCreateOptions { Size = "40M", Format = qemuFormat, ExtraOptions = qemuFormat == "vpc" ? "subformat=dynamic,force_size=on" : null });
        var info = await new QemuImg().GetInfoAsync(file, null, forceShare: true, default);
        var probe = await new XlProcessRunner().ProbeFileAsync(file, HostImageHeader.Length, default);
        Assert.NotNull(probe);
        var format = HostImageHeader.Format(probe!);
        Assert.Equal(qemuFormat == "vpc" ? "vhd" : qemuFormat, format);
        Assert.Equal(info.VirtualSize, HostImageHeader.VirtualSize(probe!, format));
        Assert.Null(await new XlProcessRunner().ProbeFileAsync(_dir.File("absent.raw"), 16, default));
    }
}
