using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>A file's bytes read into native memory are the file's bytes, whatever its size; errors are the file system's.</summary>
public class FileBytesTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(8191)]
    [InlineData(300_000)]   // past the large-object threshold an array would have
    public void Reads_the_whole_file(int size)
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "f.cfg");
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        using var read = FileBytes.Read(path);
        Assert.True(read.Span.SequenceEqual(bytes));
        Assert.Equal(ContentHash.Of(bytes), ContentHash.Of(read.Span));
    }

    [Fact]
    public void A_file_without_a_length_is_read_to_its_end()
    {
        if (!OperatingSystem.IsLinux()) return;
        // /proc files report length 0: read the managed way, the same bytes as File.ReadAllBytes.
        using var read = FileBytes.Read("/proc/self/cmdline");
        Assert.True(read.Span.Length > 0);
        Assert.True(read.Span.SequenceEqual(File.ReadAllBytes("/proc/self/cmdline")));
    }

    [Fact]
    public void A_missing_file_throws_the_file_systems_error()
    {
        using var dir = new TempDir();
        Assert.Throws<FileNotFoundException>(() => FileBytes.Read(Path.Combine(dir.Path, "missing.cfg")));
    }
}
