using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>A file hashed a chunk at a time (<see cref="ContentHash.OfFile"/>) has the hash of its bytes read whole, whatever its size; errors are the file system's.</summary>
public class FileHashTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(8191)]
    [InlineData(16 * 1024)]       // exactly one chunk
    [InlineData(16 * 1024 + 3)]   // a chunk and a part of a word
    [InlineData(300_000)]
    public void Hashes_the_whole_file(int size)
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "f.cfg");
        var bytes = new byte[size];
        new Random(size).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        Assert.Equal(ContentHash.Of(bytes), ContentHash.OfFile(path));
        Assert.Equal(ConfigSource.HashOf(bytes), new ConfigSource(path, ContentHash.OfFile(path)).Hash);
        Assert.True(new ConfigSource(path, ContentHash.Of(bytes)).IsUnchanged());
        if (size > 0)
        {
            bytes[size / 2] ^= 1;
            File.WriteAllBytes(path, bytes);
            Assert.False(new ConfigSource(path, ContentHash.Of(bytes.Select((b, i) => i == size / 2 ? (byte)(b ^ 1) : b).ToArray())).IsUnchanged());
        }
    }

    [Fact]
    public void A_file_without_a_length_is_hashed_to_its_end()
    {
        if (!OperatingSystem.IsLinux()) return;
        // /proc files report length 0: hashed from the bytes File.ReadAllBytes gives.
        Assert.Equal(ContentHash.Of(File.ReadAllBytes("/proc/self/cmdline")), ContentHash.OfFile("/proc/self/cmdline"));
    }

    [Fact]
    public void A_missing_file_throws_the_file_systems_error()
    {
        using var dir = new TempDir();
        Assert.Throws<FileNotFoundException>(() => ContentHash.OfFile(Path.Combine(dir.Path, "missing.cfg")));
    }
}
