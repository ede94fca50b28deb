using System.Net.Sockets;

namespace VirtTest.Core.Vm;

/// <summary>Opens a serial console that a hypervisor exposes as a Unix socket (QEMU's chardev socket).</summary>
public static class UnixSocketConsole
{
    /// <summary>Connects within <paramref name="timeout"/>; the returned stream owns the socket.</summary>
    public static async Task<Stream> ConnectAsync(string socketPath, TimeSpan timeout, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cts.Token).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new ConsoleUnavailableException($"the console socket {socketPath} did not accept a connection: {ex.Message}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>A VM's serial console could not be opened (socket refused, stream not granted, ...).</summary>
public sealed class ConsoleUnavailableException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "ConsoleUnavailable";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ConnectionError;

    public ConsoleUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}
