using System.Net.Sockets;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace VirtTest.Core.Session;

/// <summary>
/// Whether an <see cref="SshSession"/>'s connection is still usable: closed by the caller
/// (<see cref="Stop"/>), lost (the transport reported an error or the server went away), or up.
/// The command runner and the interactive shell ask it before each step and turn transport
/// failures into <see cref="SessionClosedException"/> through it.
/// </summary>
internal sealed class SshConnectionState
{
    private readonly string _name;
    private readonly SshClient _client;
    private readonly SshCredentials _credentials;
    private readonly ExpectBuffer _buffer;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<Exception> _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SshConnectionState(string name, SshClient client, SshCredentials credentials, ExpectBuffer buffer)
    {
        _name = name;
        _client = client;
        _credentials = credentials;
        _buffer = buffer;
    }

    /// <summary>Cancelled once the session is closed.</summary>
    public CancellationToken StopToken => _stop.Token;

    public bool IsStopped => _stop.IsCancellationRequested;

    /// <summary>Completes with the reason once the connection is lost.</summary>
    public Task<Exception> LostTask => _lost.Task;

    public bool IsOpen => !_stop.IsCancellationRequested && !_lost.Task.IsCompleted && _client.IsConnected;

    /// <summary>The session is being closed: from now on nothing counts as a lost connection.</summary>
    public void Stop() => _stop.Cancel();

    public void MarkLost(Exception ex)
    {
        if (_stop.IsCancellationRequested) return;
        if (_lost.TrySetResult(ex))
        {
            _credentials.Options.Log?.Invoke($"{_name}: connection lost: {_credentials.Scrub(ex.Message)}");
            _buffer.Close(ex);
        }
    }

    public void ThrowIfUnusable(string what)
    {
        if (_stop.IsCancellationRequested) throw new SessionClosedException(_name, $"Cannot {what} {_name}: the session is closed.");
        if (_lost.Task.IsCompleted) throw Lost(what, _lost.Task.Result);
        if (!_client.IsConnected) throw new SessionClosedException(_name, $"Cannot {what} {_name}: not connected.");
    }

    public SessionClosedException Lost(string what, Exception ex)
    {
        if (_stop.IsCancellationRequested) return new SessionClosedException(_name, $"Cannot {what} {_name}: the session is closed.", ex);
        var cause = _lost.Task.IsCompleted ? _lost.Task.Result : ex;
        if (!_lost.Task.IsCompleted && ex is SshConnectionException or SocketException) MarkLost(ex);
        return new SessionClosedException(_name, $"Cannot {what} {_name}: the connection was lost ({_credentials.Scrub(cause.Message)}).", ex);
    }

    public static bool IsConnectionError(Exception ex) =>
        ex is SshConnectionException or SocketException or ObjectDisposedException or IOException
            || (ex is SshException && ex is not SshAuthenticationException);
}
