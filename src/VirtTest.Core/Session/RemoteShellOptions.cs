using System.Text.RegularExpressions;

namespace VirtTest.Core.Session;

/// <summary>Where <see cref="RemoteShellSession"/> connects, and what shell it expects there.</summary>
public sealed class RemoteShellOptions
{
    /// <summary>The agent's default shell port.</summary>
    public const int DefaultPort = 10022;

    /// <summary>Host name or address (or the host side of a port forward, e.g. 127.0.0.1).</summary>
    public required string Host { get; init; }
    public int Port { get; init; } = DefaultPort;
    /// <summary>The shell behind the socket: cmd.exe for the Windows agent (default).</summary>
    public ShellDialect Dialect { get; init; } = ShellDialect.Cmd;
    /// <summary>The prompt (null: the dialect's default, e.g. <c>^\w:\\.*&gt;\s*$</c> for cmd).</summary>
    public Regex? ShellPrompt { get; init; }
    /// <summary>The VM the session belongs to, when there is one (prefixes the session name).</summary>
    public string? VmName { get; init; }
    /// <summary>
    /// Where the same agent's file transfer listens, as seen from the host (the agent serves
    /// both; for a VM behind a port forward the host port differs from 10023). Null: the same
    /// host, port 10023.
    /// </summary>
    public (string Host, int Port)? FileTransferEndpoint { get; init; }
    /// <summary>Receives diagnostic lines (connection attempts).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>The prompt pattern in effect.</summary>
    public Regex EffectivePrompt => ShellPrompt ?? new Regex(Dialect.DefaultPrompt, RegexOptions.Multiline);

    public override string ToString() => $"rss {Host}:{Port} ({Dialect})";
}
