using System.Security.Cryptography;
using VirtTest.Core.Transfer;
using Xunit;

namespace VirtTest.Core.Tests.Transfer;

public sealed class MediaHashTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("virttest-mediahash-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Hex(byte[] b) => Convert.ToHexString(b).ToLowerInvariant();

    [Theory]
    [InlineData(3 * 1024 * 1024 + 17, 1)]  // longer than the prefix
    [InlineData(5 * 1024 * 1024, 2)]       // other prefix, whole MiB
    [InlineData(1000, 1)]                  // shorter than the prefix: prefix sums are the file's
    [InlineData(0, 1)]
    public async Task MatchesMd5AndSha1OfThePrefixAndTheWholeFile(int size, int prefixMiB)
    {
        var data = RandomNumberGenerator.GetBytes(size);
        var path = Path.Combine(_dir, "media.iso");
        await File.WriteAllBytesAsync(path, data);
        var prefix = data.AsSpan(0, Math.Min(size, prefixMiB << 20)).ToArray();

        var h = await MediaHash.ComputeAsync(path, prefixMiB);

        Assert.Equal(Path.GetFullPath(path), h.Path);
        Assert.Equal(size, h.Length);
        Assert.Equal(prefixMiB, h.PrefixMiB);
        Assert.Equal(Hex(MD5.HashData(data)), h.Md5);
        Assert.Equal(Hex(SHA1.HashData(data)), h.Sha1);
        Assert.Equal(Hex(MD5.HashData(prefix)), h.Md5Prefix);
        Assert.Equal(Hex(SHA1.HashData(prefix)), h.Sha1Prefix);
        Assert.Equal(h, MediaHash.Compute(path, prefixMiB));
    }

    [Fact]
    public async Task AgreesWithTheCoreutils()
    {
        var path = Path.Combine(_dir, "disk.img");
        await File.WriteAllBytesAsync(path, RandomNumberGenerator.GetBytes(1_500_000));
        var h = await MediaHash.ComputeAsync(path);
        Assert.Equal(Session.SshTestServer.Run("md5sum", path)[..32], h.Md5);
        Assert.Equal(Session.SshTestServer.Run("sha1sum", path)[..40], h.Sha1);
    }

    [Fact]
    public async Task AMissingFileIsAnIoError() =>
        await Assert.ThrowsAsync<FileNotFoundException>(() => MediaHash.ComputeAsync(Path.Combine(_dir, "none.iso")));
}
