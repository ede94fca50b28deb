using System.Text;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Session;

/// <summary>
/// Where and how <see cref="SshSession"/> logs in. The password is never written anywhere:
/// not in <see cref="ToString"/>, not in session names, log lines or exception messages.
/// </summary>
public sealed class SshConnectionOptions
{
    /// <summary>Host name or address of the guest (or of the host side of a port forward, e.g. 127.0.0.1).</summary>
    public required string Host { get; init; }
    public int Port { get; init; } = 22;
    public required string UserName { get; init; }
    /// <summary>Password for password authentication (none: key only).</summary>
    public string? Password { get; init; }
    /// <summary>An OpenSSH/PEM private key file without a passphrase (none: password only). With both, the key is tried first.</summary>
    public string? PrivateKeyPath { get; init; }
    /// <summary>
    /// A known-hosts file (OpenSSH format, kept per run). Null: the key the server offers on
    /// the first connection is accepted without being recorded (only the session's own
    /// later connections, e.g. SFTP, are checked against it); <see cref="SshHostKeyPolicy.Strict"/>
    /// then refuses to connect.
    /// </summary>
    public string? KnownHostsPath { get; init; }
    public SshHostKeyPolicy HostKeyPolicy { get; init; } = SshHostKeyPolicy.AcceptNew;
    /// <summary>Matches the interactive shell's prompt (the default fits "user@host:~$ " and "# ").</summary>
    public Regex ShellPrompt { get; init; } = new(@"[#$%>] ?$");
    /// <summary>The VM the session belongs to, when there is one (prefixes the session name).</summary>
    public string? VmName { get; init; }
    /// <summary>
    /// True (default): the login shell is POSIX (sh, bash, busybox ash, ...). Commands then run
    /// as <c>: vt-&lt;id&gt;; printf '%s\n' "$$" >&amp;2; exec 2>&amp;1; command</c> (and a last line
    /// <c>exit $?</c>, which keeps the shell and its marker alive while the command runs): stderr is merged
    /// into stdout by the shell, so the output keeps the order a terminal shows, and the shell's
    /// pid (read off the stderr stream, never shown) or, before it comes, the marker word lets a
    /// command past its deadline be killed with its process group (<c>kill</c>, <c>pgrep</c>). False (e.g. Windows' cmd.exe): commands are sent as given, the output is
    /// stdout followed by stderr, and a command past its deadline only gets an SSH signal
    /// request (which OpenSSH ignores for root logins) and its channel closed.
    /// </summary>
    public bool PosixShell { get; init; } = true;
    /// <summary>How often an idle connection is probed (zero or negative: never).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>Receives diagnostic lines (connection attempts, host-key decisions). Never sees the password.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>"user@host:port" (no password).</summary>
    public string Target => $"{UserName}@{Host}:{Port}";

    /// <summary>The target, the authentication methods and the host-key settings; never the password.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(Target);
        var auth = new List<string>();
        if (PrivateKeyPath is not null) auth.Add($"key {PrivateKeyPath}");
        if (Password is not null) auth.Add("password");
        sb.Append(" (").Append(auth.Count == 0 ? "no credentials" : string.Join(", ", auth)).Append("; host key ")
          .Append(HostKeyPolicy).Append(KnownHostsPath is null ? ", no known-hosts file" : $" with {KnownHostsPath}").Append(')');
        return sb.ToString();
    }
}
