using VirtTest.Core.Storage;

namespace VirtTest.Core.Tests.Storage;

/// <summary>The argument lists handed to qemu-img (ProcessStartInfo.ArgumentList: no shell ever sees them).</summary>
public sealed class QemuImgArgumentsTests
{
    [Fact]
    public void Create_passes_options_backing_file_and_size_as_separate_arguments()
    {
        var options = QemuImgArguments.FormatOptions(ImagePreallocation.Metadata, 65536, "lazy_refcounts=on");
        Assert.Equal("preallocation=metadata,cluster_size=65536,lazy_refcounts=on", options);
        Assert.Equal(
            new[] { "create", "-q", "-f", "qcow2", "-o", options, "-b", "/i/base img.qcow2", "-F", "qcow2", "/i/top; rm -rf x.qcow2", "1073741824" },
            QemuImgArguments.Create("/i/top; rm -rf x.qcow2", "qcow2", 1L << 30, "/i/base img.qcow2", "qcow2", options));
        Assert.Equal(new[] { "create", "-q", "-f", "raw", "/i/a.raw", "1024" }, QemuImgArguments.Create("/i/a.raw", "raw", 1024, null, null, ""));
    }

    [Fact]
    public void Info_and_check_read_json()
    {
        Assert.Equal(new[] { "info", "--output=json", "-f", "qcow2", "-U", "--backing-chain", "/i/a" }, QemuImgArguments.Info("/i/a", "qcow2", true, true));
        Assert.Equal(new[] { "check", "--output=json", "-r", "leaks", "/i/a" }, QemuImgArguments.Check("/i/a", null, ImageRepair.Leaks, false));
        Assert.Equal(new[] { "check", "--output=json", "-r", "all", "/i/a" }, QemuImgArguments.Check("/i/a", null, ImageRepair.All, false));
        Assert.Equal(new[] { "check", "--output=json", "-U", "/i/a" }, QemuImgArguments.Check("/i/a", null, ImageRepair.None, true));
    }

    [Fact]
    public void Long_operations_ask_for_progress()
    {
        var convert = QemuImgArguments.Convert("/i/s", "/i/d", new ImageConvertOptions { Format = "raw", SourceFormat = "qcow2", Compress = true, ForceShare = true }, null);
        Assert.Equal(new[] { "convert", "-p", "-f", "qcow2", "-O", "raw", "-c", "-U", "/i/s", "/i/d" }, convert);
        Assert.Equal(new[] { "commit", "-p", "-b", "/i/base", "-d", "/i/top" }, QemuImgArguments.Commit("/i/top", "/i/base", null, true));
        Assert.Equal(new[] { "rebase", "-p", "-u", "-b", "/i/new", "-F", "qcow2", "/i/top" }, QemuImgArguments.Rebase("/i/top", "/i/new", "qcow2", null, true));
        // Removing the backing file: an empty -b and no backing format.
        Assert.Equal(new[] { "rebase", "-p", "-b", "", "/i/top" }, QemuImgArguments.Rebase("/i/top", "", "qcow2", null, false));
    }

    [Fact]
    public void Resize_puts_the_size_last_so_a_negative_size_is_not_an_option()
    {
        Assert.Equal(new[] { "resize", "-q", "-f", "qcow2", "--shrink", "/i/a", "-1048576" }, QemuImgArguments.Resize("/i/a", "-1048576", "qcow2", true, null));
        Assert.Equal(new[] { "resize", "-q", "--preallocation=falloc", "/i/a", "+1" }, QemuImgArguments.Resize("/i/a", "+1", null, false, ImagePreallocation.Falloc));
    }

    [Fact]
    public void Snapshot_and_compare()
    {
        Assert.Equal(new[] { "snapshot", "-q", "-c", "before", "/i/a" }, QemuImgArguments.Snapshot("/i/a", "-c", "before", null));
        // No -f for snapshot: the format goes into --image-opts, commas in the path doubled.
        Assert.Equal(new[] { "snapshot", "-q", "--image-opts", "-a", "1", "driver=qcow2,file.filename=/i/a,,b" }, QemuImgArguments.Snapshot("/i/a,b", "-a", "1", "qcow2"));
        Assert.Equal(new[] { "compare", "-f", "raw", "-F", "qcow2", "-s", "/i/a", "/i/b" }, QemuImgArguments.Compare("/i/a", "/i/b", "raw", "qcow2", true, false));
    }
}
