using System.Text;
using System.Threading.Channels;
using Renci.SshNet;
using VirtTest.Core.Transfer;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// A program running on an SSH channel with a pseudo-terminal, as a duplex stream: the login
/// shell on the channel is told to <c>exec</c> the program (quoted by <see cref="ShellQuote.Command"/>),
/// and everything before a marker line that the shell prints first (banner, prompt, the echoed
/// command line) is dropped, so a reader sees only the program's output. A reader thread
/// drains the channel (SSH.NET's shell stream only reads blocking); disposing closes the channel,
/// which ends the program.
/// </summary>
internal sealed class SshTerminalStream : DuplexConsoleStream
{
    private readonly ShellStream _shell;
    private readonly Channel<byte[]> _received = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ChunkReader _reader;
    private int _disposed;

    private SshTerminalStream(ShellStream shell)
    {
        _shell = shell;
        _reader = new ChunkReader(_received.Reader);
        var reader = new Thread(Pump) { IsBackground = true, Name = "xl terminal reader" };
        reader.Start();
    }

    /// <summary>Starts <paramref name="argv"/> on the terminal and returns once its output begins (after the marker); owns the shell stream.</summary>
    /// <exception cref="TimeoutException">The marker did not come in time.</exception>
    /// <exception cref="IOException">The channel closed before the marker (the shell ended).</exception>
    public static async Task<SshTerminalStream> StartAsync(ShellStream shell, IReadOnlyList<string> argv, TimeSpan timeout, CancellationToken ct)
    {
        var stream = new SshTerminalStream(shell);
        try
        {
            var id = Guid.NewGuid().ToString("N")[..12];
            // printf joins the two halves: the echoed command line shows them apart, so only the
            // printed line has the marker. 'stty -echo' for shells that turned echo back on.
            var line = $"stty -echo 2>/dev/null; printf '%s%s\\n' 'vt-start-' '{id}'; exec {ShellQuote.Command(argv)}\n";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(line), ct).ConfigureAwait(false);
            await stream.SkipPastAsync(Encoding.ASCII.GetBytes("vt-start-" + id), timeout, ct).ConfigureAwait(false);
            return stream;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Drops what arrives up to and including the line holding <paramref name="marker"/>; keeps the rest.</summary>
    private async Task SkipPastAsync(byte[] marker, TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        var seen = new List<byte>();
        try
        {
            while (true)
            {
                if (!await _received.Reader.WaitToReadAsync(cts.Token).ConfigureAwait(false) || !_received.Reader.TryRead(out var chunk))
                    throw new IOException("the terminal channel closed; it printed: " + Tail(seen));
                seen.AddRange(chunk);
                var all = seen.ToArray();
                var at = all.AsSpan().IndexOf(marker);
                if (at < 0) continue;
                var end = Array.IndexOf(all, (byte)'\n', at + marker.Length);
                if (end < 0) continue;
                _reader.Unread(all[(end + 1)..]);
                return;
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException("no start marker; the terminal printed: " + Tail(seen));
        }
    }

    private static string Tail(List<byte> bytes)
    {
        var text = Encoding.UTF8.GetString(bytes.ToArray()).Replace("\r", "", StringComparison.Ordinal).Trim();
        return text.Length == 0 ? "(nothing)" : text.Length > 300 ? "..." + text[^300..] : text;
    }

    private void Pump()
    {
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                var n = _shell.Read(buffer, 0, buffer.Length);
                if (n <= 0) break;
                _received.Writer.TryWrite(buffer.AsSpan(0, n).ToArray());
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or Renci.SshNet.Common.SshException or InvalidOperationException)
        {
            // The channel or the connection closed.
        }
        finally
        {
            _received.Writer.TryComplete();
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _reader.ReadAsync(buffer, cancellationToken);

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // ShellStream buffers writes until Flush; both block on the channel's window: off the caller's thread.
            var data = buffer.ToArray();
            await Task.Run(() =>
            {
                _shell.Write(data, 0, data.Length);
                _shell.Flush();
            }, CancellationToken.None).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Renci.SshNet.Common.SshException or ObjectDisposedException or InvalidOperationException)
        {
            throw new IOException("the terminal channel is closed: " + ex.Message, ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            try { _shell.Dispose(); } catch (Exception ex) when (ex is Renci.SshNet.Common.SshException or ObjectDisposedException or IOException or InvalidOperationException) { }
            _received.Writer.TryComplete();
        }
        base.Dispose(disposing);
    }
}
