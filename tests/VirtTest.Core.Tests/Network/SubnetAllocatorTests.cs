using VirtTest.Core.Network;
using VirtTest.Core.Resources;
using Xunit;

namespace VirtTest.Core.Tests.Network;

public sealed class SubnetAllocatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("virttest-pools-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Two_allocators_never_hand_out_the_same_subnet_nor_one_the_host_uses()
    {
        var pool = Ipv4Subnet.Parse("10.99.0.0/22"); // four /24s
        var hostUses = new[] { Ipv4Subnet.Parse("10.99.2.0/23") }; // takes two of them
        var a = new SubnetAllocator(pool, _dir);
        var b = new SubnetAllocator(pool, _dir);
        using var first = a.Reserve(hostUses);
        using var second = b.Reserve(hostUses);
        Assert.NotEqual(first.Subnet, second.Subnet);
        Assert.All(new[] { first.Subnet, second.Subnet }, s => Assert.False(hostUses[0].Overlaps(s)));
        var ex = Assert.Throws<ResourceException>(() => a.Reserve(hostUses));
        Assert.Contains("10.99.0.0/22", ex.Message);

        second.Dispose();
        using var third = a.Reserve(hostUses);
        Assert.Equal(second.Subnet, third.Subnet);
    }

    [Fact]
    public void A_pool_smaller_than_a_24_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new SubnetAllocator(Ipv4Subnet.Parse("10.99.0.0/25"), _dir));
    }
}
