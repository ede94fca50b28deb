using VirtTest.Core.Monitor;
using VirtTest.Core.Storage;
using VirtTest.Core.Tests.Storage;

namespace VirtTest.Core.Tests.Vm;

/// <summary>
/// Move-VirtVm -CopyStorage on QEMU: NBD export on the destination + blockdev-mirror from the
/// source, to a destination image that is a different file; checked by the guest's data.
/// </summary>
[Collection("Guest")]
[Trait("Category", "Guest")]
public sealed class QemuStorageMigrationGuestTests : IDisposable
{
    private readonly ImageDir _dir = new();
    private readonly QemuImg _img = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<string> RunAsync(GuestVm g, VirtTest.Core.Session.SerialSession console, string command) => await g.RunAsync(console, command);

    [Fact]
    public async Task The_disks_data_moves_to_a_new_file_with_the_guest_and_later_writes_land_there()
    {
        var source = _dir.File("data.qcow2");
        await _img.CreateAsync(source, new ImageCreateOptions { Size = "32M" });
        await using var g = await GuestVm.BootAsync("stormig", p =>
        {
            p["images"] = "data";
            p["image_filename_data"] = source;
            p["image_format_data"] = "qcow2";
        });
        var console = await g.ConsoleAsync();
        Assert.Equal((32L << 20) / 512, long.Parse(await RunAsync(g, console, "cat /sys/block/vda/size")));
        await RunAsync(g, console, "dd if=/dev/urandom of=/tmp/a bs=1024k count=4 2>/dev/null && dd if=/tmp/a of=/dev/vda bs=1024k seek=2 conv=notrunc 2>/dev/null && sync");
        var before = (await RunAsync(g, console, "md5sum /tmp/a")).Split(' ')[0];
        await console.DisposeAsync();

        var reports = new List<MigrationProgress>();
        await g.Vm.MigrateAsync(new MigrationOptions { CopyStorage = true, Timeout = TimeSpan.FromMinutes(3) }, new SynchronousProgress<MigrationProgress>(reports.Add));

        var copy = _dir.File("data-copy1.qcow2");
        Assert.Equal(copy, g.Vm.Params.Get("image_filename_data"));
        Assert.Equal(copy, Assert.Single(await g.Vm.GetBlockDevicesAsync()).File);
        Assert.Contains(reports, r => r.Status == "storage" && r.TransferredBytes > 0);
        Assert.Equal(1, g.Vm.MigrationCount);

        console = await g.ConsoleAsync();
        await RunAsync(g, console, "echo 3 > /proc/sys/vm/drop_caches");
        Assert.Equal(before, (await RunAsync(g, console, "dd if=/dev/vda bs=1024k skip=2 count=4 2>/dev/null | md5sum")).Split(' ')[0]);
        // After the move the guest writes to the new file; the old one keeps what it had.
        await RunAsync(g, console, "dd if=/dev/urandom of=/tmp/b bs=1024k count=1 2>/dev/null && dd if=/tmp/b of=/dev/vda bs=1024k seek=20 conv=notrunc 2>/dev/null && sync");
        var after = (await RunAsync(g, console, "md5sum /tmp/b")).Split(' ')[0];
        await console.DisposeAsync();
        await g.Vm.StopAsync(TimeSpan.FromSeconds(10));

        var copyRaw = _dir.File("copy.raw");
        var sourceRaw = _dir.File("source.raw");
        await _img.ConvertAsync(copy, copyRaw, new ImageConvertOptions { Format = "raw" });
        await _img.ConvertAsync(source, sourceRaw, new ImageConvertOptions { Format = "raw" });
        Assert.Equal(before, Md5(copyRaw, 2, 4));
        Assert.Equal(after, Md5(copyRaw, 20, 1));
        Assert.Equal(before, Md5(sourceRaw, 2, 4));
        Assert.NotEqual(after, Md5(sourceRaw, 20, 1));
    }

    [Fact]
    public async Task A_hot_plugged_disk_stops_the_move_before_anything_is_created_and_the_VM_runs_on()
    {
        await using var g = await GuestVm.BootAsync("stormig2");
        var extra = _dir.File("extra.qcow2");
        await _img.CreateAsync(extra, new ImageCreateOptions { Size = "8M" });
        await g.Vm.AddDiskAsync(new DiskSpec(extra) { Id = "extra" }, TimeSpan.FromSeconds(60));
        var pid = g.Vm.ProcessId;
        var ex = await Assert.ThrowsAsync<MonitorException>(() => g.Vm.MigrateAsync(new MigrationOptions { CopyStorage = true }));
        Assert.Contains("extra", ex.Message);
        Assert.Equal((VirtTest.Core.Vm.VmState.Running, pid, 0), (await g.Vm.RefreshStateAsync(), g.Vm.ProcessId, g.Vm.MigrationCount));
        Assert.Equal(new[] { "extra.qcow2" }, Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    private static string Md5(string file, int offsetMiB, int mib)
    {
        using var s = File.OpenRead(file);
        s.Position = (long)offsetMiB << 20;
        var buffer = new byte[mib << 20];
        s.ReadExactly(buffer);
        return Convert.ToHexString(System.Security.Cryptography.MD5.HashData(buffer)).ToLowerInvariant();
    }
}
