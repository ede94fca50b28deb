using System.Diagnostics;
using VirtTest.Core.Network;
using Xunit;

namespace VirtTest.Core.Tests.Network;

public sealed class NetworkObjectLedgerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("virttest-pools-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_name_is_recorded_once_moves_and_is_forgotten()
    {
        var a = new NetworkObjectLedger(_dir);
        var b = new NetworkObjectLedger(_dir); // another process's view of the same file
        Assert.True(a.TryRecord(NetworkObjectKind.Link, "vtnk3-vm1-nic1", null));
        Assert.False(b.TryRecord(NetworkObjectKind.Link, "vtnk3-vm1-nic1", "elsewhere"));
        Assert.True(b.TryRecord(NetworkObjectKind.Namespace, "vtnk3-vm1-nic1", null)); // kinds are separate
        a.Move("vtnk3-vm1-nic1", "vtnabcde");
        var entry = b.Entries().Single(e => e.Kind == NetworkObjectKind.Link);
        Assert.Equal("vtnabcde", entry.NetworkNamespace);
        Assert.Equal(Environment.ProcessId, entry.ProcessId);
        Assert.Empty(a.Orphans());
        a.Forget(NetworkObjectKind.Link, "vtnk3-vm1-nic1");
        Assert.True(b.TryRecord(NetworkObjectKind.Link, "vtnk3-vm1-nic1", null));
    }

    [Fact]
    public void Entries_of_a_process_that_is_gone_are_orphans()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        var ledger = new NetworkObjectLedger(_dir);
        File.WriteAllText(ledger.StatePath, $"Namespace\tvtndead1\t-\t{p.Id}\t{DateTime.UtcNow.Ticks}\nLink\tvtndead1-h\t-\t{p.Id}\t{DateTime.UtcNow.Ticks}\n");
        Assert.True(ledger.TryRecord(NetworkObjectKind.Link, "vtnlive-h", null));
        var orphans = ledger.Orphans();
        Assert.Equal(new[] { "vtndead1", "vtndead1-h" }, orphans.Select(o => o.Name).OrderBy(n => n));
        // Orphans stay recorded (so their names are not reused) until the cleanup forgets them.
        Assert.False(ledger.TryRecord(NetworkObjectKind.Namespace, "vtndead1", null));
    }
}
