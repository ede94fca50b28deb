using System.Text;
using System.Threading.Channels;
using VirtTest.Core.Backends.Xen;

namespace VirtTest.Core.Tests.Backends.Xen;

/// <summary>
/// A fake <see cref="IXlRunner"/> that records every xl command line instead of running
/// one (no Xen host is needed) and answers from per-subcommand handlers (default: exit 0,
/// no output).
/// </summary>
internal sealed class RecordingXlRunner : IXlRunner
{
    private readonly object _gate = new();
    private readonly List<string[]> _calls = new();
    private readonly List<string[]> _opened = new();
    private readonly Dictionary<string, Func<IReadOnlyList<string>, XlResult>> _handlers = new(StringComparer.Ordinal);

    public static XlResult Ok(string stdout = "") => new(0, stdout, "");
    public static XlResult Fail(int code, string stderr) => new(code, "", stderr);

    /// <summary>Answers every call of <paramref name="subcommand"/> (e.g. "list") with this handler; it may throw.</summary>
    public RecordingXlRunner On(string subcommand, Func<IReadOnlyList<string>, XlResult> handler)
    {
        lock (_gate) _handlers[subcommand] = handler;
        return this;
    }

    /// <summary>The commands run so far, each as "sub arg arg".</summary>
    public IReadOnlyList<string> Commands { get { lock (_gate) return _calls.Select(c => string.Join(' ', c)).ToList(); } }
    public IReadOnlyList<string[]> Calls { get { lock (_gate) return _calls.ToList(); } }
    public IReadOnlyList<string> OpenedCommands { get { lock (_gate) return _opened.Select(c => string.Join(' ', c)).ToList(); } }

    private readonly List<FakeConsoleStream> _streams = new();

    /// <summary>The streams handed out by <see cref="Open"/>, in order.</summary>
    public IReadOnlyList<FakeConsoleStream> Streams { get { lock (_gate) return _streams.ToList(); } }

    public Task<XlResult> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct)
    {
        Func<IReadOnlyList<string>, XlResult>? handler;
        lock (_gate)
        {
            _calls.Add(arguments.ToArray());
            _handlers.TryGetValue(arguments[0], out handler);
        }
        return Task.FromResult(handler is null ? Ok() : handler(arguments));
    }

    /// <summary>Null (xl "on this machine"), or a host name for tests of messages.</summary>
    public string? RemoteHost { get; init; }

    public Task<Stream> OpenTerminalAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var stream = new FakeConsoleStream();
        lock (_gate)
        {
            _opened.Add(arguments.ToArray());
            _streams.Add(stream);
        }
        return Task.FromResult<Stream>(stream);
    }

    /// <summary>The folders handed out, in order (each records what was written and copied into it).</summary>
    public IReadOnlyList<RecordingFolder> Folders { get { lock (_gate) return _folders.ToList(); } }
    private readonly List<RecordingFolder> _folders = new();

    public Task<IXenHostFolder> CreateFolderAsync(string domainName, string local, CancellationToken ct)
    {
        var folder = new RecordingFolder(local);
        lock (_gate) _folders.Add(folder);
        return Task.FromResult<IXenHostFolder>(folder);
    }

    /// <summary>Files "on the Xen host" by path (their content), for disk images that <see cref="ProbeFileAsync"/> looks at.</summary>
    public Dictionary<string, byte[]> HostFiles { get; } = new(StringComparer.Ordinal);

    /// <summary>The paths probed, in order.</summary>
    public List<string> Probed { get; } = new();

    public Task<XenHostFile?> ProbeFileAsync(string path, int headLength, CancellationToken ct)
    {
        lock (_gate)
        {
            Probed.Add(path);
            return Task.FromResult(HostFiles.TryGetValue(path, out var content) ? new XenHostFile(content.Length, content.Take(headLength).ToArray()) : null);
        }
    }
}

/// <summary>A host folder that is the VM's runtime directory, as on a dom0: files are written there, "copies" are the files themselves.</summary>
internal sealed class RecordingFolder : IXenHostFolder
{
    public RecordingFolder(string path) => Path = path;
    public string Path { get; }
    public List<(string Local, string Name)> Copied { get; } = new();
    public bool Disposed { get; private set; }

    public async Task<string> WriteTextAsync(string fileName, string text, CancellationToken ct)
    {
        var file = System.IO.Path.Combine(Path, fileName);
        await File.WriteAllTextAsync(file, text, ct);
        return file;
    }

    public Task<string> CopyFileAsync(string localPath, string fileName, CancellationToken ct)
    {
        lock (Copied) Copied.Add((localPath, fileName));
        return Task.FromResult(System.IO.Path.GetFullPath(localPath));
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}

/// <summary>An xl console stand-in: the test feeds what the "guest" prints; what is written to it is recorded.</summary>
internal sealed class FakeConsoleStream : Stream
{
    private readonly Channel<byte[]> _output = Channel.CreateUnbounded<byte[]>();
    private readonly StringBuilder _written = new();
    private byte[] _pending = Array.Empty<byte>();
    private int _offset;

    public void Feed(string text) => _output.Writer.TryWrite(Encoding.UTF8.GetBytes(text));
    public void End() => _output.Writer.TryComplete();
    public string Written { get { lock (_written) return _written.ToString(); } }
    public bool IsDisposed { get; private set; }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_offset >= _pending.Length)
        {
            if (!await _output.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false) || !_output.Reader.TryRead(out var next)) return 0;
            (_pending, _offset) = (next, 0);
        }
        var n = Math.Min(buffer.Length, _pending.Length - _offset);
        _pending.AsMemory(_offset, n).CopyTo(buffer);
        _offset += n;
        return n;
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        lock (_written) _written.Append(Encoding.UTF8.GetString(buffer, offset, count));
    }

    protected override void Dispose(bool disposing)
    {
        IsDisposed = true;
        End();
        base.Dispose(disposing);
    }
}
