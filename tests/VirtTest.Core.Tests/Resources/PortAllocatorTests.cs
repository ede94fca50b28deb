using System.Net;
using System.Net.Sockets;
using VirtTest.Core.Resources;
using Xunit;

namespace VirtTest.Core.Tests.Resources;

public sealed class PortAllocatorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("virttest-ports-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void TwoAllocatorsNeverHandOutTheSamePortAndThePortsAreFree()
    {
        var a = new PortAllocator(_dir);
        var b = new PortAllocator(_dir);
        var held = new System.Collections.Concurrent.ConcurrentBag<PortReservation>();
        Parallel.For(0, 100, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => held.Add((i % 2 == 0 ? a : b).Reserve()));
        try
        {
            Assert.Equal(100, held.Select(r => r.Port).Distinct().Count());
            var one = held.First();
            using var listener = new TcpListener(IPAddress.Loopback, one.Port);
            listener.Start(); // free to bind
            Assert.Equal(100, a.ReservedOnHost().Count);
        }
        finally
        {
            foreach (var r in held) r.Dispose();
        }
        Assert.Empty(a.ReservedOnHost());
    }

    [Fact]
    public void ReservedAndBusyPortsAreSkippedAndDisposeReleases()
    {
        // A range of three ports, one of them busy (bound by someone else).
        int start;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            start = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var range = Enumerable.Range(0, 50).Select(i => start + i * 3).First(p => p + 2 <= 65535 && Enumerable.Range(p, 3).All(CanBind));
        using var busy = new TcpListener(IPAddress.Loopback, range + 1);
        busy.Start();

        var a = new PortAllocator(_dir, range, range + 2);
        var b = new PortAllocator(_dir, range, range + 2);
        using var first = a.Reserve();
        var second = b.Reserve();
        Assert.Equal(new[] { range, range + 2 }, new[] { first.Port, second.Port }.Order());
        var ex = Assert.Throws<ResourceException>(() => a.Reserve());
        Assert.Contains($"{range}-{range + 2}", ex.Message);

        second.Dispose();
        Assert.True(second.IsReleased);
        using var again = a.Reserve();
        Assert.Equal(second.Port, again.Port);
        Assert.Equal($"127.0.0.1:{again.Port}", again.ToString());
    }

    [Fact]
    public void PortsOfAProcessThatIsGoneAreReclaimed()
    {
        var port = ((Func<int>)(() => { using var l = new TcpListener(IPAddress.Loopback, 0); l.Start(); return ((IPEndPoint)l.LocalEndpoint).Port; }))();
        File.WriteAllText(Path.Combine(_dir, "tcp-ports.state"), $"{port}\tdead\t{int.MaxValue - 7}\t0\t0\n");
        using var r = new PortAllocator(_dir, port, port).Reserve();
        Assert.Equal(port, r.Port);
    }

    [Fact]
    public void RejectsABadRange() => Assert.Throws<ArgumentException>(() => new PortAllocator(_dir, 2000, 1000));

    private static bool CanBind(int port)
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
