using VirtTest.Core.Monitor;
using VirtTest.Core.Session;
using VirtTest.Core.Storage;
using VirtTest.Core.Tests.Storage;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.RealGuest;

/// <summary>
/// Storage on the real distribution, where a file system matters (the busybox guest has no
/// mkfs): a hot-plugged disk gets ext4 and a file, a live snapshot takes the next file into
/// its overlay, an active commit brings both back down into the base, a mirror moves the disk
/// to a copy, and after a remount (caches dropped) both files read back with their checksums;
/// then the disk is unplugged and gone from the guest. Shared by the QEMU and libvirt tests.
/// </summary>
internal static class RealGuestDiskCheck
{
    private static readonly TimeSpan Plug = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan Job = TimeSpan.FromSeconds(300);

    public static async Task RunAsync(VirtualMachine vm, GuestSession s)
    {
        using var dir = new ImageDir();
        var img = new QemuImg();
        var baseFile = dir.File("fs-base.qcow2");
        var overlay = dir.File("fs-overlay.qcow2");
        var copy = dir.File("fs-copy.qcow2");
        await img.CreateAsync(baseFile, new ImageCreateOptions { Size = "64M" });

        var before = await DisksAsync(s);
        await vm.AddDiskAsync(new DiskSpec(baseFile) { Id = "fsdisk", Bus = DiskBus.Virtio }, Plug);
        var disk = await WaitAsync(s, d => d.Except(before).Count() == 1, "the hot-plugged disk to appear");
        var dev = disk.Except(before).Single();
        Assert.StartsWith("vd", dev);
        try
        {
            await DebianGuest.RunAsync(s, $"mkfs.ext4 -q -F /dev/{dev} && mkdir -p /mnt/vt && mount /dev/{dev} /mnt/vt");
            var first = await WriteFileAsync(s, "first");

            var snap = await vm.SnapshotDiskAsync(new DiskSnapshotSpec("fsdisk", overlay));
            Assert.Equal((overlay, baseFile), (snap.File, snap.BackingFile));
            var second = await WriteFileAsync(s, "second");

            var commit = await vm.RunBlockJobAsync(new BlockJobSpec(BlockJobType.Commit, "fsdisk"), ReadyAction.Complete, null, Job);
            Assert.Equal(BlockJobType.Commit, commit.Type);
            Assert.Equal(baseFile, Assert.Single(await vm.GetBlockDevicesAsync(), d => d.Id == "fsdisk").File);

            var mirror = await vm.RunBlockJobAsync(new BlockJobSpec(BlockJobType.Mirror, "fsdisk") { Target = copy }, ReadyAction.Complete, null, Job);
            Assert.Equal(BlockJobType.Mirror, mirror.Type);
            Assert.Equal(copy, Assert.Single(await vm.GetBlockDevicesAsync(), d => d.Id == "fsdisk").File);

            // Read back from the disk itself, not from the page cache.
            await DebianGuest.RunAsync(s, $"umount /mnt/vt && echo 3 > /proc/sys/vm/drop_caches && mount /dev/{dev} /mnt/vt");
            Assert.Equal(first, await Md5Async(s, "first"));
            Assert.Equal(second, await Md5Async(s, "second"));
            await DebianGuest.RunAsync(s, "umount /mnt/vt");
        }
        finally
        {
            await vm.RemoveDiskAsync("fsdisk", Plug);
        }
        await WaitAsync(s, d => !d.Contains(dev), $"{dev} to leave the guest");
    }

    private static async Task<string> WriteFileAsync(GuestSession s, string name)
    {
        await DebianGuest.RunAsync(s, $"head -c 1048576 /dev/urandom > /mnt/vt/{name} && sync");
        return await Md5Async(s, name);
    }

    private static async Task<string> Md5Async(GuestSession s, string name) =>
        (await DebianGuest.RunAsync(s, $"md5sum /mnt/vt/{name}")).Split(' ')[0];

    private static async Task<HashSet<string>> DisksAsync(GuestSession s) =>
        (await DebianGuest.RunAsync(s, "ls /sys/block")).Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries)
            .Where(d => !d.StartsWith("loop", StringComparison.Ordinal) && !d.StartsWith("ram", StringComparison.Ordinal)).ToHashSet();

    private static async Task<HashSet<string>> WaitAsync(GuestSession s, Func<HashSet<string>, bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var disks = await DisksAsync(s);
            if (done(disks)) return disks;
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what} (guest disks: {string.Join(", ", disks)})");
            await Task.Delay(500);
        }
    }
}
