using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using VirtTest.Core.Resources;
using VirtTest.Core.Session;
using Xunit;

namespace VirtTest.Core.Tests.Session;

/// <summary>
/// What a connection timeout names when its last attempt was still in progress at the
/// deadline: the way it ends (cancellation, the socket's "operation canceled", SSH.NET's own
/// timeout) must not hide what the attempts before found, and a look at the port says what
/// is there now. (On a loaded machine a refused connection can be seen only after a 2 s
/// deadline; the message then said "Connection has timed out." without "refused".)
/// </summary>
[Trait("Category", "Ssh")]
public sealed class SshConnectUnderLoadTests
{
    [Fact]
    public async Task AnAttemptCutShortByTheDeadlineKeepsTheErrorBeforeItAndSaysWhatThePortDoesNow()
    {
        using var port = new PortAllocator(Path.Combine(Path.GetTempPath(), "virttest", "test-pools")).Reserve();
        var options = new SshConnectionOptions { Host = "127.0.0.1", Port = port.Port, UserName = "root", Password = "x" };
        // Refused at first; after 1 s a listener that accepts and never sends an SSH banner:
        // the last attempt runs into the deadline.
        using var silent = new TcpListener(IPAddress.Loopback, port.Port);
        var accepted = new List<TcpClient>();
        var listening = Task.Run(async () =>
        {
            await Task.Delay(1000);
            silent.Start();
            try
            {
                while (true) accepted.Add(await silent.AcceptTcpClientAsync());
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // stopped
            }
        });
        try
        {
            var clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<SessionTimeoutException>(() => SshSession.ConnectAsync(options, TimeSpan.FromSeconds(3)));
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2.9), TimeSpan.FromSeconds(10));
            Assert.Contains("still in progress at the deadline", ex.Message);
            Assert.Contains("the port accepts TCP connections", ex.Message);
            Assert.Contains("the attempt before: Connection refused", ex.Message);
        }
        finally
        {
            silent.Stop();
            await listening;
            foreach (var c in accepted) c.Dispose();
        }
    }
}
