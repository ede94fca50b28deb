using VirtTest.Core.Storage;

namespace VirtTest.Core.Tests.Storage;

/// <summary>Parsing of qemu-img's output and error messages, with texts as QEMU 7.2 prints them.</summary>
public sealed class QemuImgOutputParsingTests
{
    [Fact]
    public void Progress_reports_survive_any_chunking()
    {
        const string output = "    (0.00/100%)\r    (12.50/100%)\r    (25.00/100%)\r    (100.00/100%)\r\nImage committed.\n";
        for (var size = 1; size <= output.Length; size++)
        {
            var parser = new QemuImgProgressParser();
            var seen = new List<double>();
            for (var i = 0; i < output.Length; i += size)
            {
                if (parser.Feed(output.AsSpan(i, Math.Min(size, output.Length - i))) is { } p) seen.Add(p);
            }
            // A chunk reports its newest figure: fewer reports for bigger chunks, never a wrong or torn one.
            Assert.Equal(100.0, seen[^1]);
            Assert.All(seen, p => Assert.Contains(p, new[] { 0.0, 12.5, 25.0, 100.0 }));
            Assert.Equal(seen.OrderBy(x => x), seen);
            if (size == 1) Assert.Equal(new[] { 0.0, 12.5, 25.0, 100.0 }, seen);
        }
    }

    [Fact]
    public void Info_json_becomes_typed_fields_with_snapshots_and_format_specific_data()
    {
        const string json = """
            {
                "backing-filename-format": "qcow2",
                "snapshots": [ { "icount": 0, "vm-clock-nsec": 500000000, "name": "s1", "date-sec": 1700000000, "date-nsec": 117046000,
                                 "vm-clock-sec": 3, "id": "1", "vm-state-size": 4096 } ],
                "virtual-size": 67108864, "filename": "/i/top.qcow2", "cluster-size": 65536, "format": "qcow2", "actual-size": 208896,
                "format-specific": { "type": "qcow2", "data": { "compat": "1.1", "compression-type": "zlib", "lazy-refcounts": true,
                                     "refcount-bits": 16, "corrupt": false, "extended-l2": false } },
                "full-backing-filename": "/i/base.qcow2", "backing-filename": "base.qcow2", "dirty-flag": false
            }
            """;
        var info = Assert.Single(ImageInfo.ParseJson(json, "/i/top.qcow2"));
        Assert.Equal(("/i/top.qcow2", "qcow2", 67108864L, (long?)208896, (long?)65536), (info.Path, info.Format, info.VirtualSize, info.ActualSize, info.ClusterSize));
        Assert.Equal(("base.qcow2", "/i/base.qcow2", "qcow2"), (info.BackingFile, info.FullBackingFile, info.BackingFormat));
        Assert.Equal(("1.1", (bool?)true, (bool?)false), (info.Compat, info.LazyRefcounts, info.Corrupt));
        Assert.Equal((object)16L, info.FormatSpecific["refcount-bits"]);
        var snapshot = Assert.Single(info.Snapshots);
        Assert.Equal(("1", "s1", 4096L, "/i/top.qcow2"), (snapshot.Id, snapshot.Name, snapshot.VmStateSize, snapshot.ImagePath));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000).AddTicks(1170460), snapshot.Date);
        Assert.Equal(TimeSpan.FromSeconds(3.5), snapshot.VmClock);
    }

    [Fact]
    public void A_backing_chain_is_an_array_with_depths()
    {
        const string json = """[ { "filename": "/i/top", "format": "qcow2", "virtual-size": 1 }, { "filename": "/i/base", "format": "raw", "virtual-size": 1 } ]""";
        var chain = ImageInfo.ParseJson(json, "/i/top");
        Assert.Equal(new[] { ("/i/top", 0), ("/i/base", 1) }, chain.Select(i => (i.Path, i.Depth)));
        Assert.Null(chain[1].Corrupt);
    }

    [Fact]
    public void Output_that_is_not_json_is_a_storage_error_naming_the_image()
    {
        var ex = Assert.Throws<StorageException>(() => ImageInfo.ParseJson("image: x\nfile format: raw", "/i/x"));
        Assert.Equal("/i/x", ex.Image);
    }

    [Theory]
    [InlineData("qemu-img: Could not open '/i/a.qcow2': Failed to get shared \"write\" lock\nIs another process using the image [/i/a.qcow2]?\n", "/i/a.qcow2", true)]
    [InlineData("qemu-img: Could not open '/i/top.qcow2': Could not open backing file: Could not open '/i/base.qcow2': Failed to get \"write\" lock\nIs another process using the image [/i/base.qcow2]?\n", "/i/base.qcow2", false)]
    public void A_lock_message_is_ImageLocked_naming_the_locked_file(string stderr, string lockedFile, bool shared)
    {
        var ex = Assert.IsType<ImageLockedException>(QemuImgErrors.Classify("info", "/i/top.qcow2", null, 1, stderr));
        Assert.Equal(lockedFile, ex.LockedFile);
        Assert.Equal("/i/top.qcow2", ex.Image);
        Assert.Equal(shared, ex.Message.Contains("-ForceShare", StringComparison.Ordinal));
        Assert.Equal(Core.VirtErrorCategory.ResourceBusy, ex.Category);
    }

    [Fact]
    public void A_missing_file_is_ImageNotFound_naming_the_innermost_file()
    {
        var self = Assert.IsType<ImageNotFoundException>(QemuImgErrors.Classify("info", "/i/a", null, 1,
            "qemu-img: Could not open '/i/a': Could not open '/i/a': No such file or directory\n"));
        Assert.Equal("/i/a", self.MissingFile);
        var backing = Assert.IsType<ImageNotFoundException>(QemuImgErrors.Classify("convert", "/i/top", null, 1,
            "qemu-img: Could not open '/i/top': Could not open backing file: Could not open '/i/base': No such file or directory\n"));
        Assert.Equal("/i/base", backing.MissingFile);
        Assert.Contains("backing file '/i/base'", backing.Message);
    }

    [Theory]
    [InlineData("create", 1, "qemu-img: /i/x.img: Unknown file format 'foo'\n", "foo", null)]
    [InlineData("info", 1, "qemu-img: Could not open '/i/x': Unknown driver 'foo'\n", "foo", null)]
    [InlineData("check", 63, "qemu-img: This image format does not support checks\n", "raw", "checks")]
    [InlineData("snapshot", 1, "qemu-img: Could not create snapshot 's': -95 (Operation not supported)\n", "raw", "internal snapshots")]
    public void Format_problems_are_UnsupportedImageFormat(string subcommand, int exitCode, string stderr, string format, string? operation)
    {
        var ex = Assert.IsType<UnsupportedImageFormatException>(QemuImgErrors.Classify(subcommand, "/i/x", "raw", exitCode, stderr));
        Assert.Equal((format, operation), (ex.Format, ex.Operation));
        Assert.Contains("/i/x", ex.Message);
    }

    [Fact]
    public void Anything_else_is_QemuImgException_with_the_whole_stderr()
    {
        var ex = Assert.IsType<QemuImgException>(QemuImgErrors.Classify("resize", "/i/x", null, 1,
            "qemu-img: Use the --shrink option to perform a shrink operation.\nqemu-img: warning: second line\n"));
        Assert.Equal(("resize", 1), (ex.Subcommand, ex.ExitCode));
        Assert.Contains("Use the --shrink option to perform a shrink operation. warning: second line", ex.Message);
    }
}
