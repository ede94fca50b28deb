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
    public void An_exact_subnet_is_refused_when_a_reservation_or_the_host_overlaps_it()
    {
        var pool = Ipv4Subnet.Parse("10.99.0.0/22");
        var a = new SubnetAllocator(pool, _dir);
        using var mine = a.ReserveExact(Ipv4Subnet.Parse("10.99.1.0/24"), Array.Empty<Ipv4Subnet>());
        var taken = Assert.Throws<ResourceException>(() => new SubnetAllocator(pool, _dir).ReserveExact(Ipv4Subnet.Parse("10.99.0.0/23"), Array.Empty<Ipv4Subnet>()));
        Assert.Contains("10.99.1.0/24", taken.Message);
        var host = Assert.Throws<ResourceException>(() => a.ReserveExact(Ipv4Subnet.Parse("192.168.7.0/24"), new[] { Ipv4Subnet.Parse("192.168.0.0/16") }));
        Assert.Contains("192.168.0.0/16", host.Message);
        // Pool allocations step around the exact one.
        var others = Enumerable.Range(0, 3).Select(_ => a.Reserve(Array.Empty<Ipv4Subnet>())).ToList();
        Assert.DoesNotContain(mine.Subnet, others.Select(o => o.Subnet));
        Assert.Throws<ResourceException>(() => a.Reserve(Array.Empty<Ipv4Subnet>()));
        others.ForEach(o => o.Dispose());
    }

    [Fact]
    public void A_pool_smaller_than_a_24_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new SubnetAllocator(Ipv4Subnet.Parse("10.99.0.0/25"), _dir));
    }
}
