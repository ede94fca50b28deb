using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Libvirt;

/// <summary>
/// A <see cref="Stream"/> over a nonblocking libvirt console stream (<c>virDomainOpenConsole</c>).
/// Reads wait for libvirt's "readable" stream event (delivered by <see cref="LibvirtEventLoop"/>),
/// so no read blocks in native code: Dispose wakes pending reads and finishes the stream. The
/// stream owns its own connection, so closing it never disturbs the VM's main connection.
/// </summary>
internal sealed class LibvirtConsoleStream : DuplexConsoleStream
{
    private readonly LibvirtConnection _connection;
    private readonly StreamHandle _stream;
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);
    private readonly object _gate = new();
    private GCHandle _self;
    private bool _callbackRegistered;
    private volatile bool _disposed;

    private LibvirtConsoleStream(LibvirtConnection connection, StreamHandle stream)
    {
        _connection = connection;
        _stream = stream;
    }

    /// <summary>Opens the domain's first console on a new connection to <paramref name="uri"/>.</summary>
    public static LibvirtConsoleStream Open(string uri, string domainName)
    {
        var connection = LibvirtConnection.Open(uri);
        StreamHandle? stream = null;
        try
        {
            using var dom = connection.TryLookup(domainName) ?? throw new LibvirtException($"open the console of '{domainName}'", LibvirtException.VIR_ERR_NO_DOMAIN, -1, "the domain does not exist");
            stream = connection.NewStream(LibvirtNative.VIR_STREAM_NONBLOCK);
            // FORCE: take over a console another client left open (e.g. a crashed test run).
            LibvirtConnection.Check(LibvirtNative.virDomainOpenConsole(dom, null, stream, LibvirtNative.VIR_DOMAIN_CONSOLE_FORCE), $"open the console of '{domainName}'");
            var result = new LibvirtConsoleStream(connection, stream);
            result.RegisterCallback();
            return result;
        }
        catch
        {
            stream?.Dispose();
            connection.Dispose();
            throw;
        }
    }

    private unsafe void RegisterCallback()
    {
        _self = GCHandle.Alloc(this);
        var events = LibvirtNative.VIR_STREAM_EVENT_READABLE | LibvirtNative.VIR_STREAM_EVENT_ERROR | LibvirtNative.VIR_STREAM_EVENT_HANGUP;
        var rc = LibvirtNative.virStreamEventAddCallback(_stream, events, &OnStreamEvent, GCHandle.ToIntPtr(_self), &FreeOpaque);
        if (rc < 0)
        {
            _self.Free();
            throw LibvirtException.FromLastError("watch the console stream");
        }
        _callbackRegistered = true;
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void OnStreamEvent(IntPtr stream, int events, IntPtr opaque)
    {
        if (GCHandle.FromIntPtr(opaque).Target is LibvirtConsoleStream s && !s._disposed) s._signal.Release();
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void FreeOpaque(IntPtr opaque) => GCHandle.FromIntPtr(opaque).Free();

    public override bool CanRead => !_disposed;
    public override bool CanWrite => !_disposed;

    /// <summary>One nonblocking receive: bytes read, 0 at end of stream, -2 when nothing is there yet.</summary>
    private unsafe int TryRecv(Span<byte> buffer)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int rc;
            fixed (byte* p = buffer) rc = LibvirtNative.virStreamRecv(_stream, p, (nuint)buffer.Length);
            if (rc == -1) throw new IOException("Reading the libvirt console stream failed.", LibvirtException.FromLastError("receive from the console stream"));
            return rc;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.Length == 0) return 0;
        while (true)
        {
            if (_disposed) return 0;
            var rc = TryRecv(buffer);
            if (rc != -2) return rc;
            // The event may have fired between the receive and this wait: recheck now and then.
            _signal.Wait(100);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0) return 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_disposed) return 0;
            var rc = TryRecv(buffer.Span);
            if (rc != -2) return rc;
            await _signal.WaitAsync(100, cancellationToken).ConfigureAwait(false);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            int rc;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                fixed (byte* p = buffer) rc = LibvirtNative.virStreamSend(_stream, p, (nuint)buffer.Length);
                if (rc == -1) throw new IOException("Writing to the libvirt console stream failed.", LibvirtException.FromLastError("send to the console stream"));
            }
            if (rc == -2) { Thread.Yield(); continue; } // send buffer full: libvirt drains it on its event loop
            buffer = buffer[rc..];
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }


    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                if (_disposed) return;
                _disposed = true;
                if (_callbackRegistered) LibvirtNative.virStreamEventRemoveCallback(_stream);
                // Finish, not abort: the daemon then writes what it still holds for the guest
                // (e.g. a last command sent just before closing) instead of dropping it.
                if (LibvirtNative.virStreamFinish(_stream) < 0) LibvirtNative.virStreamAbort(_stream);
                LibvirtNative.virResetLastError();
                _stream.Dispose();
            }
            _signal.Release(); // wake a pending read: it sees _disposed and returns end of stream
            _connection.Dispose();
        }
        base.Dispose(disposing);
    }
}
