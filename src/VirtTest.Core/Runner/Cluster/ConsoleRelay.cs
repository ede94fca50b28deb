using System.Net.Sockets;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>
/// Serves a VM's serial console on a TCP port, one client at a time: how a test on one node
/// gets a shell on a guest that now runs on another node (the console is a Unix socket there).
/// </summary>
internal sealed class ConsoleRelay : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly VirtualMachine _vm;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ConsoleRelay(TcpListener listener, VirtualMachine vm)
    {
        _listener = listener;
        _vm = vm;
        _loop = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false); }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
            using (client)
            {
                client.NoDelay = true;
                Stream console;
                try { console = await _vm.OpenSerialConsoleAsync(TimeSpan.FromSeconds(10), _stop.Token).ConfigureAwait(false); }
                catch (Exception ex) when (ex is VirtTestException or OperationCanceledException or IOException) { continue; }
                await using (console.ConfigureAwait(false))
                {
                    var network = client.GetStream();
                    using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    var up = PumpAsync(network, console, done.Token);
                    var down = PumpAsync(console, network, done.Token);
                    await Task.WhenAny(up, down).ConfigureAwait(false);
                    done.Cancel();
                    try { await Task.WhenAll(up, down).ConfigureAwait(false); } catch (Exception) { /* one side closed */ }
                }
            }
        }
    }

    private static async Task PumpAsync(Stream from, Stream to, CancellationToken ct)
    {
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, ct).ConfigureAwait(false);
                if (n == 0) return;
                await to.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                await to.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try { await _loop.ConfigureAwait(false); } catch (Exception) { /* stopping */ }
        _stop.Dispose();
    }
}
