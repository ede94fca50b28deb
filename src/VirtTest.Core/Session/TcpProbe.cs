using System.Net;
using System.Net.Sockets;

namespace VirtTest.Core.Session;

/// <summary>
/// One quick look at a TCP port, for error messages: refused, accepting, or silent. It runs
/// synchronously on purpose (a non-blocking connect and a poll): on a loaded machine whose
/// thread pool is busy, an asynchronous connect can be seen to fail only after the caller's
/// deadline, while the kernel knew at once.
/// </summary>
internal static class TcpProbe
{
    /// <summary>E.g. "a check of the port after the deadline: Connection refused".</summary>
    public static string Describe(string host, int port, TimeSpan limit)
    {
        const string prefix = "a check of the port after the deadline: ";
        try
        {
            var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).First();
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
            try
            {
                socket.Connect(new IPEndPoint(address, port));
                return prefix + "the port accepts TCP connections";
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                // Connecting: the poll ends when it is done either way, or at the limit.
            }
            if (!socket.Poll((int)Math.Max(1, limit.TotalMicroseconds), SelectMode.SelectWrite) && !socket.Poll(0, SelectMode.SelectError))
                return prefix + $"no answer within {limit.TotalSeconds:0.#} s";
            var error = (SocketError)(int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
            return prefix + (error == SocketError.Success ? "the port accepts TCP connections" : new SocketException((int)error).Message);
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException or InvalidOperationException)
        {
            return prefix + ex.Message;
        }
    }
}
