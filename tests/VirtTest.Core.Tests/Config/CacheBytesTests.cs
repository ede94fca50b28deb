using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// A parse cache entry is read whole into bytes that never move (<see cref="CacheBytes"/>): a
/// pinned array, or for a large entry memory of its own (marked for huge pages on Linux) that
/// lives as long as the tree read from it.
/// </summary>
public class CacheBytesTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(100_000)]
    [InlineData(2 * 1024 * 1024)]       // exactly one huge page
    [InlineData(2 * 1024 * 1024 + 7)]
    public void The_bytes_are_the_files_in_an_array_or_in_memory_of_their_own(int size)
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "entry.tree");
        var content = new byte[size];
        new Random(size).NextBytes(content);
        File.WriteAllBytes(path, content);
        foreach (var nativeFrom in new[] { 0, int.MaxValue })
        {
            using var bytes = CacheBytes.ReadFile(path, nativeFrom);
            Assert.Equal(size, bytes.Length);
            Assert.Equal(nativeFrom == 0 && size > 0 && OperatingSystem.IsLinux(), bytes.IsNative);
            Assert.True(bytes.Span.SequenceEqual(content));
        }
    }

    [Fact]
    public void Disposed_bytes_refuse_readers_and_a_missing_file_is_an_IO_error()
    {
        using var dir = new TempDir();
        var path = dir.Write("entry.tree", "abc");
        var bytes = CacheBytes.ReadFile(path, nativeFrom: 0);
        bytes.Dispose();
        Assert.True(bytes.IsClosed);
        var held = false;
        Assert.Throws<ObjectDisposedException>(() => bytes.DangerousAddRef(ref held));
        Assert.ThrowsAny<IOException>(() => CacheBytes.ReadFile(Path.Combine(dir.Path, "missing.tree")));
    }

    [Fact]
    public void A_reader_reads_what_the_writer_wrote_from_pinned_bytes()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(12345);
            w.Write7BitEncodedInt(300);
            w.Write("grüße");
            w.Write((byte)7);
        }
        using var bytes = CacheBytes.FromArray(ms.ToArray());
        var r = new CacheReader(bytes);
        Assert.Equal(12345, r.ReadInt32());
        Assert.Equal(300, r.Read7BitEncodedInt());
        Assert.Equal("grüße", r.ReadString());
        Assert.Equal(7, r.ReadByte());
        Assert.Throws<EndOfStreamException>(() => r.ReadByte());
        Assert.Throws<ArgumentOutOfRangeException>(() => new CacheReader(bytes, 2, bytes.Length));
    }

    /// <summary>
    /// The real-tree-shaped tree's entry (over a megabyte: memory of its own) stays alive with the
    /// tree: its statement blocks, read during the expansion, are those written, after collections.
    /// </summary>
    [Fact]
    public void A_tree_from_a_large_entry_keeps_its_bytes_until_it_is_gone()
    {
        using var dir = new TempDir();
        var tests = RealTreeGenerator.Write(Path.Combine(dir.Path, "tree"), new RealTreeGenerator.Shape());
        var cache = Path.Combine(dir.Path, "cache");
        LoadedConfig Load(bool useCache, params string[] filters) =>
            ConfigLoader.Load(new ConfigLoadOptions { Files = new[] { tests }, Filters = filters, CacheDirectory = cache, UseCache = useCache });
        string Dump(LoadedConfig c) => string.Join("\n", c.Expand().Select(p => string.Join(";", p.Select(kv => kv.Key + "=" + kv.Value))));
        var expected = Dump(Load(false, "only boot"));
        Load(true);
        Assert.True(new FileInfo(Directory.GetFiles(cache, "*.tree").Single()).Length >= 1024 * 1024);
        var cached = Load(true, "only boot");
        Assert.True(cached.FromCache);
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.Equal(expected, Dump(cached));
    }
}
