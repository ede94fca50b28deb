using VirtTest.Core.Config;
using VirtTest.Core.Runner;
using VirtTest.Core.Storage;
using VirtTest.Core.Tests.Storage;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Tests.Runner;

/// <summary>
/// Env processing of images with the real qemu-img: create_image for several disks per VM
/// (image_chain, has_backing_file, per-image format and options), check_image after the test
/// (a damaged image makes a passed test ERROR, a failed test stays FAIL), remove_image.
/// </summary>
public sealed class ImageEnvProcessingTests : IDisposable
{
    private readonly ImageDir _dir = new();
    private readonly QemuImg _tool = new();

    public void Dispose() => _dir.Dispose();

    private VirtParams VmParams(params (string Key, string Value)[] items)
    {
        var p = new VirtParams { ["images_base_dir"] = _dir.Path, ["create_image"] = "yes", ["image_size"] = "16M" };
        foreach (var (k, v) in items) p[k] = v;
        return p;
    }

    [Fact]
    public async Task Creates_several_disks_per_VM_with_their_own_formats_options_and_an_image_chain()
    {
        var p = VmParams(("images", "image1 stg1 sn1"), ("image_name_image1", "base"), ("image_cluster_size", "128K"), ("preallocated_image1", "metadata"),
            ("image_name_stg1", "data"), ("image_format_stg1", "raw"), ("image_size_stg1", "8M"), ("preallocated_stg1", "full"),
            ("image_name_sn1", "overlay"), ("image_chain", "image1 sn1"));

        var created = await ImageCreation.CreateAsync(p, "vm1", CancellationToken.None);

        Assert.Equal(new[] { _dir.File("base.qcow2"), _dir.File("data.raw"), _dir.File("overlay.qcow2") }, created.Select(Path.GetFullPath));
        var baseInfo = await _tool.GetInfoAsync(_dir.File("base.qcow2"));
        Assert.Equal(((long?)(128 << 10), 16L << 20), (baseInfo.ClusterSize, baseInfo.VirtualSize));
        Assert.Equal("metadata", await PreallocationOf(_dir.File("base.qcow2")));
        var data = await _tool.GetInfoAsync(_dir.File("data.raw"), "raw");
        Assert.Equal(8L << 20, data.VirtualSize);
        // As the reference: preallocated and image_cluster_size apply to qcow2 only, so the raw disk stays sparse.
        Assert.True(data.ActualSize < 8L << 20, $"raw disk allocated {data.ActualSize} bytes");
        var overlay = await _tool.GetInfoAsync(_dir.File("overlay.qcow2"));
        Assert.Equal("off", await PreallocationOf(_dir.File("overlay.qcow2")));
        Assert.Equal((_dir.File("base.qcow2"), "qcow2"), (overlay.FullBackingFile, overlay.BackingFormat));

        // Existing images are kept unless force_create_image.
        await _tool.ResizeAsync(_dir.File("data.raw"), "9M", "raw");
        Assert.Empty(await ImageCreation.CreateAsync(p, "vm1", CancellationToken.None));
        p["force_create_image_stg1"] = "yes";
        Assert.Equal(new[] { _dir.File("data.raw") }, (await ImageCreation.CreateAsync(p, "vm1", CancellationToken.None)).Select(Path.GetFullPath));
        Assert.Equal(8L << 20, (await _tool.GetInfoAsync(_dir.File("data.raw"), "raw")).VirtualSize);
    }

    [Fact]
    public async Task has_backing_file_takes_the_backing_file_images_params()
    {
        await _tool.CreateAsync(_dir.File("golden.raw"), new ImageCreateOptions { Format = "raw", Size = "4M" });
        var p = VmParams(("images", "image1"), ("image_name", "disk"), ("image_size", ""), ("has_backing_file", "yes"),
            ("image_name_backing_file", "golden"), ("image_format_backing_file", "raw"));
        await ImageCreation.CreateAsync(p, "vm1", CancellationToken.None);
        var info = await _tool.GetInfoAsync(_dir.File("disk.qcow2"));
        Assert.Equal((_dir.File("golden.raw"), "raw", 4L << 20), (info.FullBackingFile, info.BackingFormat, info.VirtualSize));
    }

    [Theory]
    [InlineData("image_size", "", "image_size_image1")]
    [InlineData("image_size", "lots", "image_size_image1")]
    [InlineData("preallocated", "sometimes", "preallocated_image1")]
    [InlineData("image_cluster_size", "big", "image_cluster_size_image1")]
    public async Task Bad_image_params_fail_before_qemu_img_naming_the_param(string key, string value, string param)
    {
        var p = VmParams(("images", "image1"), ("image_name", "disk"), (key, value));
        var ex = await Assert.ThrowsAsync<VmParamException>(() => ImageCreation.CreateAsync(p, "vm1", CancellationToken.None));
        Assert.Equal(param, ex.Param);
        Assert.False(File.Exists(_dir.File("disk.qcow2")));
    }

    private static async Task<string?> PreallocationOf(string qcow2)
    {
        // Metadata preallocation allocates every L2 table up front: the check counts them all as allocated clusters.
        var check = await new QemuImg().CheckAsync(qcow2);
        return check.AllocatedClusters == check.TotalClusters ? "metadata" : "off";
    }

    // ---------------------------------------------------------------- check_image in a run

    private TestRun NewRun(IReadOnlyList<VirtParams> tests, Dictionary<string, Func<TestContext, CancellationToken, Task>> bodies) =>
        new(new TestRunOptions
        {
            Tests = tests,
            OutputPath = Path.Combine(_dir.Path, "results"),
            Jobs = 1,
            ExecutorFactory = _ => new DelegateExecutor(bodies),
            Capacity = new HostCapacity(8192, 4),
        });

    private static VirtParams ImageTest(string name, string type, params (string Key, string Value)[] extra)
    {
        var p = new VirtParams
        {
            ["name"] = name, ["shortname"] = name, ["dep"] = "", ["type"] = type,
            ["vms"] = "vm1", ["start_vm"] = "no", ["images"] = "image1", ["image_name"] = "disk-" + name,
            ["create_image"] = "yes", ["image_size"] = "16M", ["check_image"] = "yes", ["remove_image"] = "yes",
        };
        foreach (var (k, v) in extra) p[k] = v;
        return p;
    }

    private static string ImageOf(TestContext c) => ImageFile.PathOf(EnvProcessor.VmParams(c.Params, "vm1", c.Env).ObjectParams("image1"), "vm1", "image1");

    private static Task Corrupt(TestContext c)
    {
        var meta = new Qcow2Metadata(ImageOf(c));
        meta.SetRefcount(meta.L1Cluster, 0);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_corrupt_image_makes_a_passed_test_ERROR_and_a_failed_test_stays_FAIL()
    {
        var seen = new Dictionary<string, string>();
        var bodies = new Dictionary<string, Func<TestContext, CancellationToken, Task>>
        {
            ["clean"] = (c, _) => { seen["clean"] = ImageOf(c); return Task.CompletedTask; },
            ["corrupt"] = (c, _) => { seen[c.Params.ShortName] = ImageOf(c); return Corrupt(c); },
            ["corrupt-then-fail"] = async (c, _) => { await Corrupt(c); throw new InvalidOperationException("the test's own failure"); },
            ["leak"] = (c, _) => { new Qcow2Metadata(ImageOf(c)).LeakOneCluster(); return Task.CompletedTask; },
        };
        var run = NewRun(new[]
        {
            ImageTest("clean", "clean"),
            ImageTest("corrupt", "corrupt"),
            ImageTest("failing", "corrupt-then-fail"),
            ImageTest("leak", "leak"),
            ImageTest("leak-warn", "leak", ("skip_cluster_leak_warn", "yes")),
            ImageTest("unchecked", "corrupt", ("check_image", "no")),
        }, bodies);
        await run.RunAsync(CancellationToken.None);
        var byName = run.Results.Tests.ToDictionary(t => t.Name);

        Assert.Equal(TestStatus.Pass, byName["clean"].Status);
        Assert.Equal(TestStatus.Error, byName["corrupt"].Status);
        Assert.Contains("1 corruption", byName["corrupt"].Reason);
        Assert.Contains(seen["corrupt"], byName["corrupt"].Reason);
        Assert.Equal(TestStatus.Fail, byName["failing"].Status);
        Assert.Equal("the test's own failure", byName["failing"].Reason);
        // A dead VM's leaked clusters fail the check as well, unless skip_cluster_leak_warn.
        Assert.Equal(TestStatus.Error, byName["leak"].Status);
        Assert.Contains("1 leaked cluster", byName["leak"].Reason);
        Assert.Equal(TestStatus.Pass, byName["leak-warn"].Status);
        Assert.Equal(TestStatus.Pass, byName["unchecked"].Status);

        var cleanLog = await File.ReadAllTextAsync(Path.Combine(run.Results.Path, byName["clean"].Directory, "debug.log"));
        Assert.Contains("checked: clean", cleanLog);
        var failingLog = await File.ReadAllTextAsync(Path.Combine(run.Results.Path, byName["failing"].Directory, "debug.log"));
        Assert.Contains("failed its check: 1 corruption", failingLog);
        // remove_image ran after the check, damaged or not.
        Assert.All(seen.Values, file => Assert.False(File.Exists(file), file));
    }
}
