using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace VirtTest.Core.Transfer;

/// <summary>
/// One connection to an RSS file-transfer server, after the handshake: msgs and packets
/// both ways (see <see cref="RssProtocol"/>), with failures turned into typed errors. Reads
/// and writes go through separate buffers, so an upload can watch for the server's reply
/// while it still sends.
/// </summary>
internal sealed class RssConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _net;
    private readonly BufferedStream _in;
    private readonly BufferedStream _out;
    private readonly byte[] _header = new byte[4];
    private readonly byte[] _text = new byte[64 * 1024];

    private RssConnection(Socket socket, string server, int chunkSize)
    {
        _socket = socket;
        _net = new NetworkStream(socket, ownsSocket: true);
        _in = new BufferedStream(_net, 64 * 1024);
        _out = new BufferedStream(_net, 64 * 1024);
        Server = server;
        ChunkSize = chunkSize;
    }

    /// <summary>E.g. "rss 127.0.0.1:10023".</summary>
    public string Server { get; }

    public int ChunkSize { get; }

    /// <summary>Connects, checks the server's MAGIC, and sends the chunk size and the direction.</summary>
    public static async Task<RssConnection> OpenAsync(string host, int port, int chunkSize, uint direction, string path, TimeSpan connectTimeout, CancellationToken ct)
    {
        var server = $"rss {host}:{port}";
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        RssConnection? connection = null;
        try
        {
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                connect.CancelAfter(connectTimeout);
                try
                {
                    await socket.ConnectAsync(host, port, connect.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    throw new RssConnectionException(server, path, $"Could not connect to {server} within {connectTimeout.TotalSeconds:0.#} s (is the agent's file transfer listening there?).", false);
                }
                catch (SocketException ex)
                {
                    throw new RssConnectionException(server, path, $"Could not connect to {server}: {ex.Message} (is the agent's file transfer listening there?).", false, ex);
                }
            }
            connection = new RssConnection(socket, server, chunkSize);
            var magic = await connection.ReadMsgAsync("the server's greeting", path, ct).ConfigureAwait(false);
            if (magic == RssProtocol.Error)
                throw new RssServerException(server, path, await connection.ReadTextAsync("the server's error message", path, ct).ConfigureAwait(false), "the connection");
            if (magic != RssProtocol.Magic)
                throw new RssProtocolException(server, path, $"{server} is not an RSS file-transfer server: its first message is 0x{magic:x8}, not MAGIC (0x{RssProtocol.Magic:x}).");
            connection.WriteMsg((uint)chunkSize);
            connection.WriteMsg(direction);
            await connection.FlushAsync(path, ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
            else socket.Dispose();
            throw;
        }
    }

    public void WriteMsg(uint msg)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, msg);
        _out.Write(b);
    }

    public void WritePacket(ReadOnlySpan<byte> data)
    {
        WriteMsg((uint)data.Length);
        _out.Write(data);
    }

    public void WriteTextPacket(string text) => WritePacket(Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// A data packet from <paramref name="buffer"/>, whose first 4 bytes are free for the
    /// length: header and data leave in one write.
    /// </summary>
    public async ValueTask WriteDataPacketAsync(byte[] buffer, int length, string path, CancellationToken ct)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)length);
        try
        {
            if (length + 4 >= 16 * 1024)
            {
                await _out.FlushAsync(ct).ConfigureAwait(false);
                await _net.WriteAsync(buffer.AsMemory(0, length + 4), ct).ConfigureAwait(false);
            }
            else
            {
                await _out.WriteAsync(buffer.AsMemory(0, length + 4), ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            throw Broken("sending " + path, path, ex);
        }
    }

    public async ValueTask FlushAsync(string path, CancellationToken ct)
    {
        try
        {
            await _out.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            throw Broken("sending " + path, path, ex);
        }
    }

    /// <summary>Reads a msg; <paramref name="what"/> says what was expected (for errors).</summary>
    public async ValueTask<uint> ReadMsgAsync(string what, string path, CancellationToken ct)
    {
        await ReadExactlyAsync(_header, what, path, ct).ConfigureAwait(false);
        return BinaryPrimitives.ReadUInt32LittleEndian(_header);
    }

    /// <summary>Reads a packet into <paramref name="buffer"/> (at most its length); returns the packet's length.</summary>
    public async ValueTask<int> ReadPacketAsync(Memory<byte> buffer, string what, string path, CancellationToken ct)
    {
        var length = await ReadMsgAsync(what, path, ct).ConfigureAwait(false);
        if (length > buffer.Length)
            throw new RssProtocolException(Server, path, $"{Server} sent a packet of {length} bytes in {what}; at most {buffer.Length} fit (chunk size {ChunkSize}).");
        await ReadExactlyAsync(buffer[..(int)length], what, path, ct).ConfigureAwait(false);
        return (int)length;
    }

    /// <summary>A text packet (a name, a path, an error message); a trailing NUL is dropped.</summary>
    public async ValueTask<string> ReadTextAsync(string what, string path, CancellationToken ct)
    {
        var n = await ReadPacketAsync(_text, what, path, ct).ConfigureAwait(false);
        while (n > 0 && _text[n - 1] == 0) n--;
        return Encoding.UTF8.GetString(_text, 0, n);
    }

    private async ValueTask ReadExactlyAsync(Memory<byte> buffer, string what, string path, CancellationToken ct)
    {
        try
        {
            await _in.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);
        }
        catch (EndOfStreamException ex)
        {
            throw new RssConnectionException(Server, path,
                $"{Server} closed the connection while {what} was expected, without an error message (it closes that way after an error whose message was lost, or when it stopped).", true, ex);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            throw Broken(what, path, ex);
        }
    }

    /// <summary>The error for a connection that failed: a reset is how the server's close after an error can look.</summary>
    public RssConnectionException Broken(string doing, string path, Exception ex)
    {
        var reset = ex is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown }
            || ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown };
        return reset
            ? new RssConnectionException(Server, path,
                $"{Server} reset the connection during {doing} before its error message could be read (the server closes that way after an error while data of ours was still unread): {ex.Message}", true, ex)
            : new RssConnectionException(Server, path, $"The connection to {Server} failed during {doing}: {ex.Message}", false, ex);
    }

    public static bool IsConnectionFailure(Exception ex) => ex is IOException or SocketException or ObjectDisposedException;

    /// <summary>Ends the connection at once (cancellation, deadline): pending reads and writes fail.</summary>
    public void Abort()
    {
        try { _socket.Dispose(); } catch (ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        Abort();
        await _in.DisposeAsync().ConfigureAwait(false);
        try { await _out.DisposeAsync().ConfigureAwait(false); } catch (Exception ex) when (IsConnectionFailure(ex)) { /* unsent data of a failed transfer */ }
        await _net.DisposeAsync().ConfigureAwait(false);
    }
}
