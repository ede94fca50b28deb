using System.Diagnostics;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Session;

/// <summary>
/// A shell session on a guest, whatever the transport: expect-style reads on the
/// interactive stream, and commands with their exit status (<c>cmd</c>, <c>cmd_output</c>,
/// <c>cmd_status_output</c> in the established vocabulary). Text callers see is cleaned of
/// escape sequences and <c>\r</c>.
/// </summary>
public abstract class GuestSession : IAsyncDisposable, IDisposable
{
    private int _disposed;

    protected GuestSession(string name, SessionTransport transport, Regex shellPrompt, ShellDialect? dialect = null)
    {
        Name = name;
        Transport = transport;
        ShellPrompt = shellPrompt;
        Dialect = dialect ?? ShellDialect.Posix;
        Buffer = new ExpectBuffer(name);
    }

    /// <summary>E.g. "vm1 serial" or "vm1 ssh root@127.0.0.1:2222".</summary>
    public string Name { get; }
    public SessionTransport Transport { get; }
    /// <summary>Matches the shell's prompt (the last line while the shell waits for input).</summary>
    public Regex ShellPrompt { get; }
    /// <summary>The shell's kind: line ending, prompt, command framing (POSIX or cmd.exe).</summary>
    public ShellDialect Dialect { get; }
    public DateTimeOffset OpenedAt { get; } = DateTimeOffset.Now;
    /// <summary>The VM the session belongs to, when there is one.</summary>
    public string? VmName { get; init; }

    /// <summary>The interactive stream's text, read expect-style.</summary>
    protected ExpectBuffer Buffer { get; }

    public abstract bool IsOpen { get; }

    /// <summary>Sends raw text on the interactive stream.</summary>
    public abstract Task SendAsync(string text, CancellationToken ct = default);

    /// <summary>Sends a line ended the shell's way (<see cref="ShellDialect.LineEnding"/>).</summary>
    public Task SendLineAsync(string line, CancellationToken ct = default) => SendAsync(line + Dialect.LineEnding, ct);

    /// <summary>Waits for a pattern; returns the match and the text before it (both consumed).</summary>
    public async Task<ExpectResult> ReadUntilAsync(Regex pattern, TimeSpan timeout, CancellationToken ct = default)
    {
        await EnsureInteractiveAsync(ct).ConfigureAwait(false);
        return await Buffer.ReadUntilAsync(pattern, timeout, ct).ConfigureAwait(false);
    }

    /// <summary>Waits until the last line matches a pattern (default: the shell prompt).</summary>
    public async Task<ExpectResult> ReadUntilPromptAsync(TimeSpan timeout, Regex? prompt = null, CancellationToken ct = default)
    {
        await EnsureInteractiveAsync(ct).ConfigureAwait(false);
        return await Buffer.ReadUntilLastLineMatchesAsync(prompt ?? ShellPrompt, timeout, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens the interactive stream if the transport opens it lazily (SSH's shell channel);
    /// called before every read and should be called by <see cref="SendAsync"/>.
    /// </summary>
    protected virtual Task EnsureInteractiveAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Runs a command; returns its exit status and output. Never throws for a non-zero status.</summary>
    public async Task<CommandResult> CmdStatusOutputAsync(string command, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        if (_disposed != 0) throw new SessionClosedException(Name, $"{Name} was disconnected; open a new session.");
        var clock = Stopwatch.StartNew();
        var (status, output) = await RunCommandAsync(command, timeout, ct).ConfigureAwait(false);
        return new CommandResult(command, status, output, clock.Elapsed);
    }

    /// <summary>Runs a command and returns its output, whatever its exit status.</summary>
    public async Task<string> CmdOutputAsync(string command, TimeSpan timeout, CancellationToken ct = default) =>
        (await CmdStatusOutputAsync(command, timeout, ct).ConfigureAwait(false)).Output;

    /// <summary>Runs a command and returns its output; a non-zero exit status is a <see cref="ShellCommandError"/>.</summary>
    public async Task<string> CmdAsync(string command, TimeSpan timeout, CancellationToken ct = default)
    {
        var r = await CmdStatusOutputAsync(command, timeout, ct).ConfigureAwait(false);
        if (r.ExitCode != 0) throw new ShellCommandError(Name, command, r.ExitCode, r.Output);
        return r.Output;
    }

    /// <summary>The transport's way to run one command with a deadline.</summary>
    protected abstract Task<(int Status, string Output)> RunCommandAsync(string command, TimeSpan timeout, CancellationToken ct);

    protected abstract ValueTask CloseAsync();

    public override string ToString() => Name;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await CloseAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
