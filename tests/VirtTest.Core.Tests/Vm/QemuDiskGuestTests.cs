using System.Text.Json.Nodes;
using VirtTest.Core.Monitor;
using VirtTest.Core.Session;
using VirtTest.Core.Storage;
using VirtTest.Core.Tests.Storage;

namespace VirtTest.Core.Tests.Vm;

/// <summary>
/// One booted test guest (QEMU, TCG) shared by the disk tests of this class: hot-plug and
/// unplug per bus, live snapshot, commit, mirror, stream, cancel and a failing job, each
/// checked from the monitor's side, in the guest (raw data written and read back with dd:
/// the busybox guest has no mkfs) and on the host (the image files with qemu-img).
/// </summary>
public sealed class DiskGuestFixture : IAsyncLifetime
{
    internal GuestVm Guest { get; private set; } = null!;
    public SerialSession Console { get; private set; } = null!;
    internal ImageDir Dir { get; } = new();

    public async Task InitializeAsync()
    {
        Guest = await GuestVm.BootAsync("disks");
        Console = await Guest.ConsoleAsync();
    }

    public async Task DisposeAsync()
    {
        await Guest.DisposeAsync();
        Dir.Dispose();
    }
}

[Collection("Guest")]
[Trait("Category", "Guest")]
public sealed class QemuDiskGuestTests : IClassFixture<DiskGuestFixture>
{
    private static readonly TimeSpan Plug = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Job = TimeSpan.FromSeconds(120);
    private readonly DiskGuestFixture _f;
    private readonly QemuImg _img = new();

    public QemuDiskGuestTests(DiskGuestFixture fixture) => _f = fixture;

    private VirtTest.Core.Vm.VirtualMachine Vm => _f.Guest.Vm;

    private Task<string> Guest(string command) => _f.Guest.RunAsync(_f.Console, command);

    /// <summary>The guest's block devices (vda, sda, ...).</summary>
    private async Task<HashSet<string>> GuestDisksAsync() =>
        (await Guest("ls /sys/block")).Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries).Where(d => !d.StartsWith("loop", StringComparison.Ordinal) && !d.StartsWith("ram", StringComparison.Ordinal)).ToHashSet();

    private async Task<string> WaitForNewGuestDiskAsync(HashSet<string> before)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var added = (await GuestDisksAsync()).Except(before).ToList();
            if (added.Count == 1) return added[0];
            Assert.True(DateTime.UtcNow < deadline, $"no new disk in the guest (before: {string.Join(",", before)})");
            await Task.Delay(250);
        }
    }

    private async Task WaitForGuestDiskGoneAsync(string disk)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await GuestDisksAsync()).Contains(disk))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{disk} is still in the guest");
            await Task.Delay(250);
        }
    }

    /// <summary>Writes <paramref name="mib"/> MiB of fresh random data at <paramref name="offsetMiB"/>, syncs, returns its md5.</summary>
    private async Task<string> WriteRandomAsync(string disk, int offsetMiB, int mib = 1)
    {
        await Guest($"dd if=/dev/urandom of=/tmp/chunk bs=1024k count={mib} 2>/dev/null && dd if=/tmp/chunk of=/dev/{disk} bs=1024k seek={offsetMiB} conv=notrunc 2>/dev/null && sync");
        return (await Guest("md5sum /tmp/chunk")).Split(' ')[0];
    }

    private async Task<string> ReadMd5Async(string disk, int offsetMiB, int mib = 1)
    {
        // Past the guest's page cache: drop it so the data comes from the (possibly new) image.
        await Guest("sync; echo 3 > /proc/sys/vm/drop_caches");
        return (await Guest($"dd if=/dev/{disk} bs=1024k skip={offsetMiB} count={mib} 2>/dev/null | md5sum")).Split(' ')[0];
    }

    private static string HostMd5(string rawFile, int offsetMiB, int mib = 1)
    {
        using var s = File.OpenRead(rawFile);
        s.Position = (long)offsetMiB << 20;
        var buffer = new byte[mib << 20];
        s.ReadExactly(buffer);
        return Convert.ToHexString(System.Security.Cryptography.MD5.HashData(buffer)).ToLowerInvariant();
    }

    /// <summary>The image files QEMU has open (its named block nodes).</summary>
    private async Task<IReadOnlyList<string>> OpenFilesAsync() =>
        (await Vm.InvokeMonitorAsync("query-named-block-nodes", new JsonObject { ["flat"] = true }, TimeSpan.FromSeconds(10)) as JsonArray)!
            .Select(n => n!["file"]?.GetValue<string>()).OfType<string>().Distinct().ToList();

    [Theory]
    [InlineData(DiskBus.Virtio, "vd")]
    [InlineData(DiskBus.Scsi, "sd")]
    public async Task A_hot_plugged_disk_appears_in_the_monitor_and_the_guest_holds_data_and_goes_away(DiskBus bus, string guestPrefix)
    {
        var file = _f.Dir.File($"hot-{bus}.raw");
        await _img.CreateAsync(file, new ImageCreateOptions { Format = "raw", Size = "16M" });
        var guestBefore = await GuestDisksAsync();

        var disk = await Vm.AddDiskAsync(new DiskSpec(file) { Bus = bus, Id = "hot" + bus }, Plug);
        Assert.Equal(("hot" + bus, file, "raw", 16L << 20, "disks"), (disk.Id, disk.File, disk.Format, disk.Size, disk.VmName));
        Assert.Equal(bus.ToString().ToLowerInvariant(), disk.Bus);
        Assert.Contains(await Vm.GetBlockDevicesAsync(), d => d.Id == disk.Id && d.File == file);

        var guestDisk = await WaitForNewGuestDiskAsync(guestBefore);
        Assert.StartsWith(guestPrefix, guestDisk);
        Assert.Equal((16L << 20) / 512, long.Parse(await Guest($"cat /sys/block/{guestDisk}/size")));
        var md5 = await WriteRandomAsync(guestDisk, 3);
        Assert.Equal(md5, await ReadMd5Async(guestDisk, 3));
        Assert.Equal(md5, HostMd5(file, 3));

        await Vm.RemoveDiskAsync(disk.Id, Plug);
        Assert.DoesNotContain(await Vm.GetBlockDevicesAsync(), d => d.Id == disk.Id);
        await WaitForGuestDiskGoneAsync(guestDisk);
        // A controller added for the disk went with it: the VM's devices are those of its params again.
        var peripherals = (await Vm.InvokeMonitorAsync("qom-list", new JsonObject { ["path"] = "/machine/peripheral" }, TimeSpan.FromSeconds(10)) as JsonArray)!
            .Select(p => p!["name"]!.GetValue<string>()).ToList();
        Assert.DoesNotContain("vt-scsi0", peripherals);
        // The file is no longer held: qemu-img can write it.
        await _img.ResizeAsync(file, "+1M", "raw");
    }

    [Fact]
    public async Task A_USB_disk_is_listed_by_the_monitor_and_unplugged_again()
    {
        // The guest's cloud kernel has no USB: only QEMU's side is checked.
        var file = _f.Dir.File("usb.qcow2");
        await _img.CreateAsync(file, new ImageCreateOptions { Size = "8M" });
        var disk = await Vm.AddDiskAsync(new DiskSpec(file) { Bus = DiskBus.Usb, Id = "stick", ReadOnly = true }, Plug);
        Assert.Equal(("usb", true, "qcow2"), (disk.Bus, disk.ReadOnly, disk.Format));
        await Vm.RemoveDiskAsync("stick", Plug);
        Assert.DoesNotContain(await Vm.GetBlockDevicesAsync(), d => d.Id == "stick");
    }

    [Fact]
    public async Task Bad_disks_are_typed_errors_and_leave_nothing_half_plugged()
    {
        var missing = await Assert.ThrowsAsync<ImageNotFoundException>(() => Vm.AddDiskAsync(new DiskSpec(_f.Dir.File("none.qcow2")), Plug));
        Assert.Equal(_f.Dir.File("none.qcow2"), missing.Image);

        var file = _f.Dir.File("twice.qcow2");
        await _img.CreateAsync(file, new ImageCreateOptions { Size = "8M" });
        await Vm.AddDiskAsync(new DiskSpec(file) { Id = "first" }, Plug);
        try
        {
            // The same image again: QEMU's own lock refuses it.
            var locked = await Assert.ThrowsAsync<ImageLockedException>(() => Vm.AddDiskAsync(new DiskSpec(file) { Id = "second" }, Plug));
            Assert.Equal(file, locked.Image);
            // An id that is taken.
            var other = _f.Dir.File("other.qcow2");
            await _img.CreateAsync(other, new ImageCreateOptions { Size = "8M" });
            await Assert.ThrowsAsync<MonitorException>(() => Vm.AddDiskAsync(new DiskSpec(other) { Id = "first" }, Plug));
            var nodes = (await Vm.InvokeMonitorAsync("query-named-block-nodes", new JsonObject { ["flat"] = true }, TimeSpan.FromSeconds(10)) as JsonArray)!
                .Select(n => n!["node-name"]!.GetValue<string>()).ToList();
            Assert.DoesNotContain("vt-disk-second", nodes);
            Assert.Single(await Vm.GetBlockDevicesAsync(), d => d.File == file);
            await Assert.ThrowsAsync<BlockDeviceNotFoundException>(() => Vm.RemoveDiskAsync("no-such-disk", Plug));
        }
        finally
        {
            await Vm.RemoveDiskAsync("first", Plug);
        }
    }

    [Fact]
    public async Task Data_before_and_after_a_live_snapshot_lands_in_base_and_overlay_and_commit_brings_it_back()
    {
        var baseFile = _f.Dir.File("snap-base.qcow2");
        var overlay = _f.Dir.File("snap-overlay.qcow2");
        await _img.CreateAsync(baseFile, new ImageCreateOptions { Size = "16M" });
        var before = await GuestDisksAsync();
        await Vm.AddDiskAsync(new DiskSpec(baseFile) { Id = "snapdisk" }, Plug);
        var guestDisk = await WaitForNewGuestDiskAsync(before);
        try
        {
            var first = await WriteRandomAsync(guestDisk, 0);
            var snap = await Vm.SnapshotDiskAsync(new DiskSnapshotSpec("snapdisk", overlay));
            Assert.Equal((overlay, baseFile), (snap.File, snap.BackingFile));
            var second = await WriteRandomAsync(guestDisk, 4);

            // On the host: the base has the data from before the snapshot only.
            var baseRaw = _f.Dir.File("snap-base-view.raw");
            await _img.ConvertAsync(baseFile, baseRaw, new ImageConvertOptions { Format = "raw", ForceShare = true });
            Assert.Equal(first, HostMd5(baseRaw, 0));
            Assert.NotEqual(second, HostMd5(baseRaw, 4));
            var chain = await _img.GetBackingChainAsync(overlay, forceShare: true);
            Assert.Equal(new[] { overlay, baseFile }, chain.Select(i => i.Path));

            // Active commit, completed: the disk is back on the base, which now has both.
            var reports = new List<BlockJob>();
            var job = await Vm.RunBlockJobAsync(new BlockJobSpec(BlockJobType.Commit, "snapdisk"), ReadyAction.Complete, new SynchronousProgress<BlockJob>(reports.Add), Job);
            Assert.Equal(("concluded", BlockJobType.Commit), (job.Status, job.Type));
            Assert.NotEmpty(reports);
            var disk = Assert.Single(await Vm.GetBlockDevicesAsync(), d => d.Id == "snapdisk");
            Assert.Equal(baseFile, disk.File);
            File.Delete(baseRaw);
            await _img.ConvertAsync(baseFile, baseRaw, new ImageConvertOptions { Format = "raw", ForceShare = true });
            Assert.Equal((first, second), (HostMd5(baseRaw, 0), HostMd5(baseRaw, 4)));
            Assert.Equal((first, second), (await ReadMd5Async(guestDisk, 0), await ReadMd5Async(guestDisk, 4)));
            // The overlay left the chain and QEMU no longer holds it.
            Assert.DoesNotContain(overlay, await OpenFilesAsync());
        }
        finally
        {
            await Vm.RemoveDiskAsync("snapdisk", Plug);
        }
    }

    [Fact]
    public async Task A_mirror_copies_the_disk_while_the_guest_writes_and_the_VM_pivots_to_the_copy()
    {
        var source = _f.Dir.File("mirror-src.qcow2");
        var target = _f.Dir.File("mirror-dst.qcow2");
        await _img.CreateAsync(source, new ImageCreateOptions { Size = "16M" });
        var before = await GuestDisksAsync();
        await Vm.AddDiskAsync(new DiskSpec(source) { Id = "mirrored" }, Plug);
        var guestDisk = await WaitForNewGuestDiskAsync(before);
        try
        {
            var early = await WriteRandomAsync(guestDisk, 1, 2);
            var job = await Vm.RunBlockJobAsync(new BlockJobSpec(BlockJobType.Mirror, "mirrored") { Target = target }, ReadyAction.Return, null, Job);
            Assert.True(job.Ready);
            Assert.Contains(await Vm.GetBlockJobsAsync(), j => j.Id == job.Id && j.Type == BlockJobType.Mirror && j.Device == "mirrored");
            // Written while the mirror is ready: the mirror copies it as it comes.
            var late = await WriteRandomAsync(guestDisk, 8);
            await Vm.CompleteBlockJobAsync(job.Id, Job);

            var disk = Assert.Single(await Vm.GetBlockDevicesAsync(), d => d.Id == "mirrored");
            Assert.Equal(target, disk.File);
            Assert.Empty(await Vm.GetBlockJobsAsync());
            Assert.Equal((early, late), (await ReadMd5Async(guestDisk, 1, 2), await ReadMd5Async(guestDisk, 8)));
            // The source is released and holds the same data.
            Assert.DoesNotContain(source, await OpenFilesAsync());
            Assert.True((await _img.CompareAsync(source, target, forceShare: true)).Identical);
        }
        finally
        {
            await Vm.RemoveDiskAsync("mirrored", Plug);
        }
    }

    [Fact]
    public async Task Stream_makes_the_overlay_standalone_and_cancel_stops_a_mirror_on_the_source()
    {
        var baseFile = _f.Dir.File("stream-base.qcow2");
        var overlay = _f.Dir.File("stream-top.qcow2");
        await _img.CreateAsync(baseFile, new ImageCreateOptions { Size = "16M" });
        var before = await GuestDisksAsync();
        await Vm.AddDiskAsync(new DiskSpec(baseFile) { Id = "streamed" }, Plug);
        var guestDisk = await WaitForNewGuestDiskAsync(before);
        try
        {
            var data = await WriteRandomAsync(guestDisk, 2);
            await Vm.SnapshotDiskAsync(new DiskSnapshotSpec("streamed", overlay));
            var job = await Vm.RunBlockJobAsync(new BlockJobSpec(BlockJobType.Stream, "streamed"), ReadyAction.Complete, null, Job);
            Assert.Equal(BlockJobType.Stream, job.Type);
            var disk = Assert.Single(await Vm.GetBlockDevicesAsync(), d => d.Id == "streamed");
            Assert.Equal(overlay, disk.File);
            Assert.Null(disk.BackingFile);
            Assert.Null((await _img.GetInfoAsync(overlay, forceShare: true)).BackingFile);
            Assert.Equal(data, await ReadMd5Async(guestDisk, 2));

            // A slow mirror cancelled before it is ready: the job ends, the disk stays where it was.
            var slow = await Vm.StartBlockJobAsync(new BlockJobSpec(BlockJobType.Mirror, "streamed") { Target = _f.Dir.File("stream-copy.qcow2"), Speed = 64 * 1024 });
            await Vm.CancelBlockJobAsync(slow.Id, Job);
            Assert.Empty(await Vm.GetBlockJobsAsync());
            Assert.Equal(overlay, Assert.Single(await Vm.GetBlockDevicesAsync(), d => d.Id == "streamed").File);
        }
        finally
        {
            await Vm.RemoveDiskAsync("streamed", Plug);
        }
    }

    [Fact]
    public async Task A_job_that_hits_an_IO_error_is_a_typed_failure()
    {
        var file = _f.Dir.File("failing.raw");
        await _img.CreateAsync(file, new ImageCreateOptions { Format = "raw", Size = "8M" });
        // A disk whose reads fail (blkdebug injects EIO), added through the raw monitor.
        await Vm.InvokeMonitorAsync("blockdev-add", JsonNode.Parse($$"""
            { "driver": "raw", "node-name": "failing-node",
              "file": { "driver": "blkdebug", "image": { "driver": "file", "filename": "{{file}}" },
                        "inject-error": [ { "event": "read_aio", "errno": 5 } ] } }
            """)!.AsObject(), TimeSpan.FromSeconds(10));
        await Vm.InvokeMonitorAsync("device_add", new JsonObject { ["driver"] = "virtio-blk-pci", ["id"] = "failing", ["drive"] = "failing-node" }, TimeSpan.FromSeconds(10));
        try
        {
            var failure = await Assert.ThrowsAsync<BlockJobFailedException>(() =>
                Vm.RunBlockJobAsync(new BlockJobSpec(BlockJobType.Mirror, "failing") { Target = _f.Dir.File("failing-copy.qcow2") }, ReadyAction.Complete, null, Job));
            Assert.Equal(("failing", BlockJobType.Mirror, "BlockJobFailed"), (failure.Device, failure.Type, failure.ErrorId));
            Assert.Contains("Input/output error", failure.Error);
            Assert.Empty(await Vm.GetBlockJobsAsync());
        }
        finally
        {
            var after = Vm.Monitor.LastEventSequence;
            await Vm.InvokeMonitorAsync("device_del", new JsonObject { ["id"] = "failing" }, TimeSpan.FromSeconds(10));
            await Vm.WaitForEventAsync("DEVICE_DELETED", e => e.Data?["device"]?.GetValue<string>() == "failing", after, Plug);
            await Vm.InvokeMonitorAsync("blockdev-del", new JsonObject { ["node-name"] = "failing-node" }, TimeSpan.FromSeconds(10));
        }
    }
}
