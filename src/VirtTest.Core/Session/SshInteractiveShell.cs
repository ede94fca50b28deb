using System.Text;
using Renci.SshNet;

namespace VirtTest.Core.Session;

/// <summary>
/// The interactive part of an <see cref="SshSession"/>: one shell channel with a
/// pseudo-terminal, opened on first use, whose output a reader thread feeds into the session's
/// expect buffer.
/// </summary>
internal sealed class SshInteractiveShell : IDisposable
{
    private readonly string _name;
    private readonly SshClient _client;
    private readonly SshConnectionState _state;
    private readonly SshCommandRunner _commands;
    private readonly ExpectBuffer _buffer;
    private readonly SemaphoreSlim _openLock = new(1, 1);
    private volatile ShellStream? _shell;

    public SshInteractiveShell(string name, SshClient client, SshConnectionState state, SshCommandRunner commands, ExpectBuffer buffer)
    {
        _name = name;
        _client = client;
        _state = state;
        _commands = commands;
        _buffer = buffer;
    }

    /// <summary>Sends raw text to the shell (opened on first use).</summary>
    public async Task SendAsync(string text, CancellationToken ct)
    {
        await EnsureOpenAsync(ct).ConfigureAwait(false);
        var shell = _shell!;
        _state.ThrowIfUnusable("write to");
        if (_buffer.IsClosed) throw new SessionClosedException(_name, $"The interactive shell of {_name} has ended.");
        try
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            await shell.WriteAsync(bytes, ct).ConfigureAwait(false);
            await shell.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (SshConnectionState.IsConnectionError(ex))
        {
            throw _state.Lost("write to", ex);
        }
    }

    public async Task EnsureOpenAsync(CancellationToken ct)
    {
        if (_shell is not null) return;
        await _openLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_shell is not null) return;
            _state.ThrowIfUnusable("open a shell on");
            // A channel must not open while a command given up on is being ended (dropbear).
            await _commands.WaitForEndingCommandsAsync("the shell to open", SshSession.OperationTimeout, ct).ConfigureAwait(false);
            var create = SshCommandRunner.OffThePool(() => _client.CreateShellStream("dumb", 200, 50, 0, 0, 65536));
            ShellStream stream;
            try
            {
                var first = await Task.WhenAny(create, _state.LostTask).WaitAsync(ct).ConfigureAwait(false);
                if (first != create) throw await _state.LostTask.ConfigureAwait(false);
                stream = await create.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _ = create.ContinueWith(t =>
                {
                    if (t.IsCompletedSuccessfully) t.Result.Dispose();
                    else _ = t.Exception;
                }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                if (SshConnectionState.IsConnectionError(ex)) throw _state.Lost("open a shell on", ex);
                throw;
            }
            var reader = new Thread(() => Read(stream)) { IsBackground = true, Name = $"{_name} shell reader" };
            reader.Start();
            _shell = stream;
        }
        finally
        {
            _openLock.Release();
        }
    }

    /// <summary>Feeds the expect buffer; ends when the channel ends (Read returns 0) or fails.</summary>
    private void Read(ShellStream stream)
    {
        var bytes = new byte[16384];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        var decoder = Encoding.UTF8.GetDecoder();
        Exception reason;
        try
        {
            while (true)
            {
                var n = stream.Read(bytes, 0, bytes.Length);
                if (n == 0) break;
                var c = decoder.GetChars(bytes, 0, n, chars, 0);
                _buffer.Append(new string(chars, 0, c));
            }
            reason = new IOException("the shell ended (it exited, or the server closed its channel)");
        }
        catch (Exception ex)
        {
            reason = ex;
        }
        if (_state.IsStopped) reason = new ObjectDisposedException(_name, "the session was closed");
        else if (_state.LostTask.IsCompleted) reason = _state.LostTask.Result;
        _buffer.Close(reason);
    }

    /// <summary>Closes the shell channel, if it was opened.</summary>
    public void Dispose()
    {
        try { _shell?.Dispose(); } catch { /* channel already gone */ }
    }
}
