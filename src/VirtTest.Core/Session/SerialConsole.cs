using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Session;

/// <summary>
/// A guest's serial console reached through its Unix socket: send lines, wait for text
/// (expect style), and run shell commands with their exit status. Text callers see is
/// cleaned of escape sequences and carriage returns (the buffer holds cleaned text only).
/// </summary>
public sealed class SerialConsole : IAsyncDisposable, IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StringBuilder _buffer = new();
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private readonly SemaphoreSlim _signal = new(0);
    private int _consumed;
    private string _pendingRaw = "";
    private Exception? _closed;
    private static int _markerCounter;

    private SerialConsole(Socket socket, string name)
    {
        _socket = socket;
        Name = name;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = Task.Run(ReadLoopAsync);
    }

    public string Name { get; }

    /// <summary>Connects to the serial console of a running VM.</summary>
    public static async Task<SerialConsole> ConnectAsync(VirtualMachine vm, TimeSpan timeout, CancellationToken ct = default)
    {
        var path = vm.SerialConsolePath ?? throw new VmStateException(vm.Name, vm.State, "open the serial console of");
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new VmException(vm.Name, $"Could not connect to the serial console of VM '{vm.Name}' at {path}: {ex.Message}", ex);
        }
        return new SerialConsole(socket, vm.Name);
    }

    private async Task ReadLoopAsync()
    {
        var bytes = new byte[4096];
        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[8192];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var n = await _stream.ReadAsync(bytes, _stop.Token).ConfigureAwait(false);
                if (n == 0) throw new IOException("the console connection was closed (the VM stopped?)");
                var c = decoder.GetChars(bytes, 0, n, chars, 0);
                var (complete, pending) = TerminalText.SplitPending(_pendingRaw + new string(chars, 0, c));
                _pendingRaw = pending;
                lock (_gate) _buffer.Append(TerminalText.Clean(complete));
                _signal.Release();
            }
        }
        catch (Exception ex)
        {
            lock (_gate) _closed = ex is OperationCanceledException ? new ObjectDisposedException(nameof(SerialConsole)) : ex;
            _signal.Release();
        }
    }

    /// <summary>Sends text followed by a newline.</summary>
    public async Task SendLineAsync(string line, CancellationToken ct = default)
    {
        var data = Encoding.UTF8.GetBytes(line + "\n");
        await _stream.WriteAsync(data, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until the unread console text (cleaned) matches; returns the match and consumes
    /// the text up to its end. The deadline covers the whole wait.
    /// </summary>
    public async Task<(Match Match, string Before)> ReadUntilAsync(Regex pattern, TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            lock (_gate)
            {
                var text = _buffer.ToString(_consumed, _buffer.Length - _consumed);
                var match = pattern.Match(text);
                if (match.Success)
                {
                    _consumed += match.Index + match.Length;
                    if (_consumed > 1 << 20) { _buffer.Remove(0, _consumed); _consumed = 0; }
                    return (match, text[..match.Index]);
                }
                if (_closed is not null) throw new VmException(Name, $"Serial console of VM '{Name}' closed while waiting for '{pattern}': {_closed.Message}. Unread output: {Tail(text)}");
                if (DateTime.UtcNow >= deadline)
                    throw new VmException(Name, string.Create(CultureInfo.InvariantCulture, $"'{pattern}' did not appear on the serial console of VM '{Name}' within {timeout.TotalSeconds:0.#} s. Unread output: {Tail(text)}"));
            }
            var left = deadline - DateTime.UtcNow;
            if (left > TimeSpan.Zero) await _signal.WaitAsync(left < TimeSpan.FromMilliseconds(500) ? left : TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
        }
    }

    private static string Tail(string text)
    {
        var t = text.Trim();
        return t.Length == 0 ? "(nothing)" : t.Length > 300 ? "..." + t[^300..] : t;
    }

    /// <summary>
    /// Runs a shell command and returns its output and exit status. Markers printed with
    /// printf frame the output, so the echoed command line can never be taken for them.
    /// </summary>
    public async Task<(int ExitStatus, string Output)> RunAsync(string command, TimeSpan timeout, CancellationToken ct = default)
    {
        var id = Interlocked.Increment(ref _markerCounter).ToString(CultureInfo.InvariantCulture);
        var deadline = DateTime.UtcNow + timeout;
        await SendLineAsync($"printf '%s%s\\n' '<<VT{id}' 'B>>'; {command}; printf '\\n%s%d%s\\n' '<<VT{id}E' $? '>>'", ct).ConfigureAwait(false);
        await ReadUntilAsync(new Regex($"<<VT{id}B>>\n"), deadline - DateTime.UtcNow, ct).ConfigureAwait(false);
        var (end, output) = await ReadUntilAsync(new Regex($"\n<<VT{id}E(\\d+)>>"), deadline - DateTime.UtcNow, ct).ConfigureAwait(false);
        return (int.Parse(end.Groups[1].Value, CultureInfo.InvariantCulture), output);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        _socket.Dispose();
        try { await _reader.ConfigureAwait(false); } catch { /* reader ends with the socket */ }
        _stream.Dispose();
        _stop.Dispose();
        _signal.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
