using System.Diagnostics;
using VirtTest.Core.Resources;
using Xunit;

namespace VirtTest.Core.Tests.Resources;

public sealed class MacAddressPoolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("virttest-pools-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TwoPoolsOnOneDirectoryNeverHandOutTheSameAddress()
    {
        // Two pools stand for two processes: each has its own lock handle and owner id.
        using var a = new MacAddressPool(directory: _dir);
        using var b = new MacAddressPool(directory: _dir);
        var bag = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => bag.Add((i % 2 == 0 ? a : b).Allocate()));
        Assert.Equal(400, bag.Distinct().Count());
        Assert.All(bag, mac => Assert.Matches("^52:54:00(:[0-9a-f]{2}){3}$", mac));
        Assert.Equal(400, a.ReservedOnHost().Count);
    }

    [Fact]
    public void ReleaseMakesAnAddressReusableAndDisposeReturnsTheRest()
    {
        // A 5-octet prefix leaves 256 addresses: small enough to exhaust.
        using var a = new MacAddressPool("02:00:00:00:01", _dir);
        var all = Enumerable.Range(0, 256).Select(_ => a.Allocate()).ToList();
        Assert.Equal(256, all.Distinct().Count());
        using var b = new MacAddressPool("02-00-00-00-01", _dir);
        var ex = Assert.Throws<ResourceException>(() => b.Allocate());
        Assert.Contains("02:00:00:00:01", ex.Message);

        Assert.True(a.Release(all[42].ToUpperInvariant()));
        Assert.False(a.Release(all[42]));
        Assert.Equal(all[42], b.Allocate());
        Assert.False(a.Release(all[42])); // b holds it now; a cannot free it

        a.Dispose();
        Assert.Single(b.ReservedOnHost());
        Assert.NotNull(b.Allocate());
    }

    [Fact]
    public void AddressesOfAProcessThatIsGoneAreReclaimed()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        var state = Path.Combine(_dir, "mac-addresses.state");
        var lines = Enumerable.Range(0, 256).Select(i => $"02:00:00:00:01:{i:x2}\tdead\t{p.Id}\t{DateTime.UtcNow.Ticks}\t0");
        File.WriteAllLines(state, lines);
        using var pool = new MacAddressPool("02:00:00:00:01", _dir);
        Assert.StartsWith("02:00:00:00:01:", pool.Allocate());
        Assert.Single(pool.ReservedOnHost());
    }

    [Fact]
    public void AnEmptyPrefixGivesUnicastLocallyAdministeredAddresses()
    {
        using var pool = new MacAddressPool("", _dir);
        for (var i = 0; i < 50; i++)
        {
            var first = Convert.ToByte(pool.Allocate()[..2], 16);
            Assert.Equal(0x02, first & 0x03);
        }
    }

    [Theory]
    [InlineData("00:1a:4a")]        // globally administered
    [InlineData("53:54:00")]        // multicast
    [InlineData("52:54:00:00:00:00")]
    [InlineData("52:54:zz")]
    public void RejectsPrefixesThatCannotGiveLocalUnicastAddresses(string prefix) =>
        Assert.Throws<ArgumentException>(() => new MacAddressPool(prefix, _dir));
}
