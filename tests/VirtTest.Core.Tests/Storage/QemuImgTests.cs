using VirtTest.Core.Storage;

namespace VirtTest.Core.Tests.Storage;

/// <summary>The qemu-img layer against the real qemu-img (qemu-utils): fast, no QEMU process.</summary>
public sealed class QemuImgTests : IDisposable
{
    private readonly ImageDir _dir = new();
    private readonly QemuImg _tool = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Create_returns_the_new_images_info_and_an_overlay_records_its_backing_file()
    {
        var baseInfo = await _tool.CreateAsync(_dir.File("base.qcow2"), new ImageCreateOptions { Size = "64M", ClusterSize = "128K", Preallocation = ImagePreallocation.Metadata });
        Assert.Equal(("qcow2", 64L << 20, (long?)(128 << 10)), (baseInfo.Format, baseInfo.VirtualSize, baseInfo.ClusterSize));
        Assert.Equal("1.1", baseInfo.Compat);
        Assert.False(baseInfo.Corrupt);

        // No size and no backing format: both read from the backing file.
        var top = await _tool.CreateAsync(_dir.File("top.qcow2"), new ImageCreateOptions { BackingFile = _dir.File("base.qcow2") });
        Assert.Equal(64L << 20, top.VirtualSize);
        Assert.Equal((_dir.File("base.qcow2"), "qcow2"), (top.FullBackingFile, top.BackingFormat));

        var chain = await _tool.GetBackingChainAsync(_dir.File("top.qcow2"));
        Assert.Equal(new[] { (_dir.File("top.qcow2"), 0), (_dir.File("base.qcow2"), 1) }, chain.Select(i => (i.Path, i.Depth)));

        var raw = await _tool.CreateAsync(_dir.File("disk.raw"), new ImageCreateOptions { Format = "raw", Size = "1M", ExtraOptions = "preallocation=full" });
        Assert.Equal(("raw", 1L << 20, (long?)(1L << 20)), (raw.Format, raw.VirtualSize, raw.ActualSize));
    }

    [Fact]
    public async Task Create_refuses_an_existing_file_unless_told_to_overwrite_and_a_missing_size()
    {
        var file = _dir.File("a.qcow2");
        await _tool.CreateAsync(file, new ImageCreateOptions { Size = "1M" });
        var exists = await Assert.ThrowsAsync<ImageExistsException>(() => _tool.CreateAsync(file, new ImageCreateOptions { Size = "2M" }));
        Assert.Equal(file, exists.Image);
        Assert.Equal(1L << 20, (await _tool.GetInfoAsync(file)).VirtualSize);
        Assert.Equal(2L << 20, (await _tool.CreateAsync(file, new ImageCreateOptions { Size = "2M" }, overwrite: true)).VirtualSize);
        await Assert.ThrowsAsync<ImageArgumentException>(() => _tool.CreateAsync(_dir.File("b.qcow2"), new ImageCreateOptions()));
        Assert.False(File.Exists(_dir.File("b.qcow2")));
    }

    [Fact]
    public async Task A_clean_image_checks_clean()
    {
        var file = _dir.File("clean.qcow2");
        await _tool.ConvertAsync(_dir.RandomRaw("data.raw", 1 << 20), file, new ImageConvertOptions { SourceFormat = "raw" });
        var result = await _tool.CheckAsync(file);
        Assert.True(result.IsClean, result.Describe());
        Assert.Equal((0, 0, 0, 0), (result.Corruptions, result.Leaks, result.CheckErrors, result.ExitCode));
        Assert.Equal(16L, result.TotalClusters);
        Assert.Equal(file, result.Path);
    }

    [Fact]
    public async Task A_deliberately_corrupted_qcow2_reports_its_corruption_count_and_all_repairs_it()
    {
        var file = _dir.File("corrupt.qcow2");
        await _tool.ConvertAsync(_dir.RandomRaw("data.raw", 1 << 20), file, new ImageConvertOptions { SourceFormat = "raw" });
        var meta = new Qcow2Metadata(file);
        // The L1 table's cluster is referenced once; counting it free is one corruption.
        Assert.Equal(1, meta.Refcount(meta.L1Cluster));
        meta.SetRefcount(meta.L1Cluster, 0);

        var damaged = await _tool.CheckAsync(file);
        Assert.Equal((1, 0, 2), (damaged.Corruptions, damaged.Leaks, damaged.ExitCode));
        Assert.False(damaged.IsClean);
        Assert.Contains(damaged.Messages, m => m.Contains($"cluster {meta.L1Cluster} refcount=0 reference=1", StringComparison.Ordinal));
        Assert.Equal("1 corruption", damaged.Describe());

        // Leak repair does not fix a corruption: the check cannot complete.
        await Assert.ThrowsAnyAsync<StorageException>(() => _tool.CheckAsync(file, repair: ImageRepair.Leaks));

        var repaired = await _tool.CheckAsync(file, repair: ImageRepair.All);
        Assert.Equal((0, 1), (repaired.Corruptions, repaired.CorruptionsFixed));
        Assert.True((await _tool.CheckAsync(file)).IsClean);
        Assert.True((await _tool.CompareAsync(_dir.File("data.raw"), file)).Identical);
    }

    [Fact]
    public async Task A_leaked_cluster_is_counted_as_a_leak_and_repaired_with_leaks()
    {
        var file = _dir.File("leak.qcow2");
        await _tool.CreateAsync(file, new ImageCreateOptions { Size = "16M" });
        new Qcow2Metadata(file).LeakOneCluster();

        var leaking = await _tool.CheckAsync(file);
        Assert.Equal((0, 1, 3), (leaking.Corruptions, leaking.Leaks, leaking.ExitCode));
        Assert.Equal("1 leaked cluster", leaking.Describe());

        var repaired = await _tool.CheckAsync(file, repair: ImageRepair.Leaks);
        Assert.Equal((0, 1), (repaired.Leaks, repaired.LeaksFixed));
        Assert.True((await _tool.CheckAsync(file)).IsClean);
    }

    [Fact]
    public async Task Conversion_round_trip_keeps_the_data_identical_and_reports_progress()
    {
        var raw = _dir.RandomRaw("data.raw", 8 << 20, seed: 42);
        var reports = new List<ImageProgress>();
        var progress = new SynchronousProgress<ImageProgress>(reports.Add);
        var qcow = await _tool.ConvertAsync(raw, _dir.File("data.qcow2"), new ImageConvertOptions { SourceFormat = "raw" }, progress);
        Assert.Equal(("qcow2", 8L << 20), (qcow.Format, qcow.VirtualSize));
        Assert.NotEmpty(reports);
        Assert.Equal(100.0, reports[^1].Percent);
        Assert.All(reports, r => Assert.Equal(("convert", raw), (r.Operation, r.Image)));

        var compressed = await _tool.ConvertAsync(qcow.Path, _dir.File("small.qcow2"), new ImageConvertOptions { Compress = true, ClusterSize = "64K" });
        var back = await _tool.ConvertAsync(compressed.Path, _dir.File("back.raw"), new ImageConvertOptions { Format = "raw" });

        foreach (var image in new[] { qcow.Path, compressed.Path, back.Path })
        {
            var same = await _tool.CompareAsync(raw, image, "raw");
            Assert.Equal((image, "Images are identical."), (image, same.Message));
            Assert.True(same.Identical);
        }
        // Strict mode also compares allocation: the source raw file has its zeroes written, the converted one has a hole there.
        var strict = await _tool.CompareAsync(raw, back.Path, "raw", "raw", strict: true);
        Assert.False(strict.Identical);
        Assert.StartsWith("Strict mode", strict.Message);
        Assert.Equal(await File.ReadAllBytesAsync(raw), await File.ReadAllBytesAsync(back.Path));

        // One byte changed is found, with its offset.
        var changed = await File.ReadAllBytesAsync(back.Path);
        changed[5_000_000] ^= 0xff;
        await File.WriteAllBytesAsync(back.Path, changed);
        var differs = await _tool.CompareAsync(raw, back.Path, "raw", "raw");
        Assert.False(differs.Identical);
        Assert.Equal(5_000_000L / 512 * 512, differs.MismatchOffset); // qemu-img names the 512-byte sector
    }

    [Fact]
    public async Task A_failed_conversion_leaves_no_destination_and_an_existing_one_is_refused()
    {
        var source = _dir.RandomRaw("data.raw", 1 << 20);
        await Assert.ThrowsAsync<UnsupportedImageFormatException>(() => _tool.ConvertAsync(source, _dir.File("out.img"), new ImageConvertOptions { Format = "no-such-format" }));
        Assert.False(File.Exists(_dir.File("out.img")));
        File.WriteAllText(_dir.File("taken.qcow2"), "keep me");
        await Assert.ThrowsAsync<ImageExistsException>(() => _tool.ConvertAsync(source, _dir.File("taken.qcow2"), new ImageConvertOptions()));
        Assert.Equal("keep me", File.ReadAllText(_dir.File("taken.qcow2")));
    }

    [Fact]
    public async Task A_cancelled_conversion_stops_qemu_img_and_removes_the_partial_destination()
    {
        var source = _dir.LargeRaw("big.raw", 256);
        using var cts = new CancellationTokenSource();
        var progress = new SynchronousProgress<ImageProgress>(_ => cts.Cancel());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _tool.ConvertAsync(source, _dir.File("big.qcow2"), new ImageConvertOptions { SourceFormat = "raw" }, progress, cts.Token));
        Assert.False(File.Exists(_dir.File("big.qcow2")));
    }

    [Fact]
    public async Task Resize_grows_shrinks_only_when_asked_and_takes_relative_sizes()
    {
        var file = _dir.File("r.qcow2");
        await _tool.CreateAsync(file, new ImageCreateOptions { Size = "1G" });
        Assert.Equal(2L << 30, (await _tool.ResizeAsync(file, "+1G")).VirtualSize);
        var refused = await Assert.ThrowsAsync<QemuImgException>(() => _tool.ResizeAsync(file, "-512M"));
        Assert.Contains("--shrink", refused.Message);
        Assert.Equal(1536L << 20, (await _tool.ResizeAsync(file, "-512M", shrink: true)).VirtualSize);
        Assert.Equal(1L << 30, (await _tool.ResizeAsync(file, "1G", "qcow2", shrink: true)).VirtualSize);
        await Assert.ThrowsAsync<ImageArgumentException>(() => _tool.ResizeAsync(file, "huge"));
    }

    [Fact]
    public async Task Internal_snapshots_are_taken_listed_restored_and_removed()
    {
        var file = _dir.File("s.qcow2");
        await _tool.CreateAsync(file, new ImageCreateOptions { Size = "1G" });
        var small = await _tool.NewSnapshotAsync(file, "small");
        Assert.Equal(("small", "1", file), (small.Name, small.Id, small.ImagePath));
        Assert.True(small.Date > DateTimeOffset.UtcNow.AddMinutes(-5));
        await _tool.ResizeAsync(file, "2G");
        var big = await _tool.NewSnapshotAsync(file, "big");
        Assert.Equal("2", big.Id);

        await Assert.ThrowsAsync<ImageSnapshotExistsException>(() => _tool.NewSnapshotAsync(file, "small"));
        await Assert.ThrowsAsync<ImageArgumentException>(() => _tool.NewSnapshotAsync(file, "42"));
        var missing = await Assert.ThrowsAsync<ImageSnapshotNotFoundException>(() => _tool.RestoreSnapshotAsync(file, "medium"));
        Assert.Contains("small, big", missing.Message);

        await _tool.RestoreSnapshotAsync(file, "small");
        Assert.Equal(1L << 30, (await _tool.GetInfoAsync(file)).VirtualSize);
        await _tool.RestoreSnapshotAsync(file, "2"); // by id
        Assert.Equal(2L << 30, (await _tool.GetInfoAsync(file)).VirtualSize);

        await _tool.RemoveSnapshotAsync(file, "small");
        await _tool.RemoveSnapshotAsync(file, "2");
        Assert.Empty(await _tool.GetSnapshotsAsync(file));
    }

    [Fact]
    public async Task Rebase_and_commit_move_data_along_the_chain()
    {
        var raw = _dir.RandomRaw("data.raw", 2 << 20, seed: 9);
        var baseImage = _dir.File("base.qcow2");
        await _tool.CreateAsync(baseImage, new ImageCreateOptions { Size = "2M" });
        // An overlay holding the data: a converted copy whose header then names the empty base.
        var top = await _tool.ConvertAsync(raw, _dir.File("top.qcow2"), new ImageConvertOptions { SourceFormat = "raw" });
        top = await _tool.RebaseAsync(top.Path, baseImage, unsafeRebase: true);
        Assert.Equal(baseImage, top.FullBackingFile);
        Assert.False((await _tool.CompareAsync(raw, baseImage, "raw")).Identical);

        var reports = new List<ImageProgress>();
        var target = await _tool.CommitAsync(top.Path, progress: new SynchronousProgress<ImageProgress>(reports.Add));
        Assert.Equal(baseImage, target.Path);
        Assert.True((await _tool.CompareAsync(raw, baseImage, "raw")).Identical);
        Assert.True((await _tool.CompareAsync(raw, top.Path, "raw")).Identical); // emptied, but it reads through
        Assert.Equal(100.0, reports[^1].Percent);

        // A safe rebase onto nothing copies the chain's data in: the image stands alone.
        var alone = await _tool.RebaseAsync(top.Path, null);
        Assert.Null(alone.BackingFile);
        File.Delete(baseImage);
        Assert.True((await _tool.CompareAsync(raw, top.Path, "raw")).Identical);

        await Assert.ThrowsAsync<ImageArgumentException>(() => _tool.CommitAsync(top.Path));
    }

    [Fact]
    public async Task Missing_images_and_backing_files_are_ImageNotFound_naming_them()
    {
        var missing = _dir.File("nope.qcow2");
        foreach (var call in new Func<Task>[]
                 {
                     () => _tool.GetInfoAsync(missing),
                     () => _tool.CheckAsync(missing),
                     () => _tool.ResizeAsync(missing, "1G"),
                     () => _tool.ConvertAsync(missing, _dir.File("x.raw"), new ImageConvertOptions()),
                     () => _tool.NewSnapshotAsync(missing, "s"),
                 })
        {
            var ex = await Assert.ThrowsAsync<ImageNotFoundException>(call);
            Assert.Equal(missing, ex.Image);
            Assert.Equal("ImageNotFound", ex.ErrorId);
            Assert.Contains(missing, ex.Message);
        }

        await _tool.CreateAsync(_dir.File("base.qcow2"), new ImageCreateOptions { Size = "1M" });
        await _tool.CreateAsync(_dir.File("top.qcow2"), new ImageCreateOptions { BackingFile = _dir.File("base.qcow2") });
        File.Delete(_dir.File("base.qcow2"));
        var backing = await Assert.ThrowsAsync<ImageNotFoundException>(() => _tool.CheckAsync(_dir.File("top.qcow2")));
        Assert.Equal((_dir.File("top.qcow2"), _dir.File("base.qcow2")), (backing.Image, backing.MissingFile));
        await Assert.ThrowsAsync<ImageNotFoundException>(() => _tool.CreateAsync(_dir.File("other.qcow2"), new ImageCreateOptions { BackingFile = _dir.File("base.qcow2") }));
    }

    [Fact]
    public async Task Unknown_formats_and_formats_without_the_operation_are_UnsupportedImageFormat()
    {
        var unknown = await Assert.ThrowsAsync<UnsupportedImageFormatException>(() => _tool.CreateAsync(_dir.File("x.img"), new ImageCreateOptions { Format = "foo", Size = "1M" }));
        Assert.Equal(("foo", (string?)null), (unknown.Format, unknown.Operation));

        var raw = _dir.File("disk.raw");
        await _tool.CreateAsync(raw, new ImageCreateOptions { Format = "raw", Size = "1M" });
        var check = await Assert.ThrowsAsync<UnsupportedImageFormatException>(() => _tool.CheckAsync(raw, "raw"));
        Assert.Equal(("raw", "checks"), (check.Format, check.Operation));
        var snapshot = await Assert.ThrowsAsync<UnsupportedImageFormatException>(() => _tool.NewSnapshotAsync(raw, "s", "raw"));
        Assert.Equal("internal snapshots", snapshot.Operation);
        await Assert.ThrowsAsync<UnsupportedImageFormatException>(() => _tool.GetInfoAsync(raw, "foo"));
    }

    [Fact]
    public async Task A_missing_qemu_img_is_QemuImgNotFound()
    {
        var file = _dir.File("a.qcow2");
        var ex = await Assert.ThrowsAsync<QemuImgNotFoundException>(() => new QemuImg("/nonexistent/qemu-img").CreateAsync(file, new ImageCreateOptions { Size = "1M" }));
        Assert.Equal((Core.VirtErrorCategory.NotInstalled, file), (ex.Category, ex.Image));
        Assert.Contains("qemu-utils", ex.Message);
    }
}

/// <summary>IProgress that reports on the calling thread, in order (Progress&lt;T&gt; posts to the pool).</summary>
internal sealed class SynchronousProgress<T> : IProgress<T>
{
    private readonly Action<T> _report;
    public SynchronousProgress(Action<T> report) => _report = report;
    public void Report(T value) { lock (this) _report(value); }
}
