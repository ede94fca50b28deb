using System.Text.RegularExpressions;
using VirtTest.Core.Resources;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Vm;

/// <summary>NICs without a <c>mac</c> param get addresses from the host-wide pool: parallel VMs never share one.</summary>
[Collection("Guest")]
[Trait("Category", "Qemu")]
public class MacAddressAssignmentTests
{
    private static async Task<IReadOnlyList<string>> MacsAsync(VirtualMachine vm) =>
        Regex.Matches(await vm.InvokeHumanMonitorAsync("info network", TimeSpan.FromSeconds(10)), @"macaddr=([0-9a-f:]{17})")
            .Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public async Task Two_VMs_get_distinct_pool_MACs_that_are_released_when_they_go()
    {
        await using var a = GuestVm.Create("mac-a", p => { p["nics"] = "nic1 nic2"; p["mac_nic2"] = "52:54:00:aa:bb:cc"; });
        await using var b = GuestVm.Create("mac-b", p => p["nics"] = "nic1 nic2");
        await a.Vm.StartAsync(paused: true);
        await b.Vm.StartAsync(paused: true);
        var macsA = await MacsAsync(a.Vm);
        var macsB = await MacsAsync(b.Vm);
        Assert.Equal(2, macsA.Count);
        Assert.Equal(2, macsB.Count);
        Assert.Contains("52:54:00:aa:bb:cc", macsA); // a mac param wins over the pool
        Assert.Equal(4, macsA.Concat(macsB).Distinct().Count());

        using var pool = new MacAddressPool();
        var pooled = macsA.Where(m => m != "52:54:00:aa:bb:cc").Concat(macsB).ToList();
        Assert.All(pooled, m => Assert.Contains(m, pool.ReservedOnHost()));
        await a.DisposeAsync();
        await b.DisposeAsync();
        Assert.All(pooled, m => Assert.DoesNotContain(m, pool.ReservedOnHost()));
    }
}
