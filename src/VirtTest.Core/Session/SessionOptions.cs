using System.Globalization;
using System.Text.RegularExpressions;
using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Session;

/// <summary>
/// How to log in to a VM's guest, from its params (established names: <c>shell_client</c>,
/// <c>username</c>, <c>password</c>, <c>shell_prompt</c>, <c>login_timeout</c>,
/// <c>shell_port</c>, <c>ssh_key</c>, <c>known_hosts_file</c>, <c>ssh_host_key_policy</c>,
/// <c>os_type</c>, <c>shell_dialect</c>) with explicit values taking precedence.
/// <see cref="ToString"/> never shows the password.
/// </summary>
/// <remarks>
/// <c>shell_client</c>: <c>ssh</c> is SSH, <c>nc</c> or <c>rss</c> a plain TCP shell (the Windows
/// guests' remote shell agent), anything else (or nothing) the serial console.
/// <c>shell_port</c> defaults to 22 for SSH and 10022 for the TCP shell. The dialect comes
/// from <c>shell_dialect</c> (posix or cmd), else from <c>os_type</c> (windows: cmd), and gives
/// the default prompt when <c>shell_prompt</c> is not set.
/// </remarks>
public sealed class SessionOptions
{
    public SessionTransport Transport { get; init; } = SessionTransport.Serial;
    public string UserName { get; init; } = "root";
    /// <summary>Sent to the guest only; never logged.</summary>
    public string? Password { get; init; }
    public string? PrivateKeyPath { get; init; }
    public Regex ShellPrompt { get; init; } = new(@"[#$] $");
    /// <summary>The shell's kind (line ending, command framing).</summary>
    public ShellDialect Dialect { get; init; } = ShellDialect.Posix;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>The guest's shell port: SSH's or the remote shell agent's (the host side comes from the VM's port redirections).</summary>
    public int ShellPort { get; init; } = 22;
    /// <summary>The guest port of the remote shell agent's file transfer (<c>file_transfer_port</c>).</summary>
    public int FileTransferPort { get; init; } = 10023;
    public string? KnownHostsPath { get; init; }
    /// <summary>"accept-new" (default) or "strict".</summary>
    public string HostKeyPolicy { get; init; } = "accept-new";
    /// <summary>A file that receives everything the guest prints on a serial session.</summary>
    public string? LogPath { get; init; }

    /// <summary>Options for a VM's guest from its params; explicit arguments win.</summary>
    public static SessionOptions FromParams(VirtParams p, SessionTransport? transport = null, string? userName = null, string? password = null,
        TimeSpan? timeout = null, ShellDialect? dialect = null)
    {
        var client = (p.Get("shell_client") ?? "").Trim().ToLowerInvariant();
        var t = transport ?? client switch
        {
            "ssh" => SessionTransport.Ssh,
            "nc" or "rss" => SessionTransport.Rss,
            _ => SessionTransport.Serial,
        };
        dialect ??= DialectFromParams(p);
        var prompt = p.Get("shell_prompt") is { Length: > 0 } sp ? sp : dialect.DefaultPrompt;
        Regex promptRegex;
        try
        {
            promptRegex = new Regex(prompt, RegexOptions.Multiline);
        }
        catch (ArgumentException ex)
        {
            throw new VmParamException(p.Get("main_vm") ?? "", "shell_prompt", prompt, "not a valid regular expression: " + ex.Message);
        }
        return new SessionOptions
        {
            Transport = t,
            UserName = userName ?? (p.Get("username") is { Length: > 0 } u ? u : "root"),
            Password = password ?? p.Get("password"),
            PrivateKeyPath = p.Get("ssh_key") is { Length: > 0 } key ? key : null,
            ShellPrompt = promptRegex,
            Dialect = dialect,
            Timeout = timeout ?? new VmParamsReader(p.Get("main_vm") ?? "", p).LoginTimeout,
            ShellPort = int.TryParse(p.Get("shell_port"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) ? port
                : t == SessionTransport.Rss ? RemoteShellOptions.DefaultPort : 22,
            FileTransferPort = int.TryParse(p.Get("file_transfer_port"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ftPort) ? ftPort : 10023,
            KnownHostsPath = p.Get("known_hosts_file") is { Length: > 0 } kh ? kh : null,
            HostKeyPolicy = p.Get("ssh_host_key_policy") is { Length: > 0 } hk ? hk : "accept-new",
        };
    }

    /// <summary>
    /// Options for a host reached by address, without params: the dialect defaults to cmd for
    /// the remote shell agent and POSIX otherwise, the prompt to the dialect's.
    /// </summary>
    public static SessionOptions ForAddress(SessionTransport transport, string? userName, string? password, TimeSpan timeout, ShellDialect? dialect = null)
    {
        var d = dialect ?? (transport == SessionTransport.Rss ? ShellDialect.Cmd : ShellDialect.Posix);
        return new SessionOptions
        {
            Transport = transport,
            UserName = userName ?? "root",
            Password = password,
            Dialect = d,
            ShellPrompt = new Regex(d.DefaultPrompt, RegexOptions.Multiline),
            Timeout = timeout,
            ShellPort = transport == SessionTransport.Rss ? RemoteShellOptions.DefaultPort : 22,
        };
    }

    /// <summary>The dialect from <c>shell_dialect</c>, else from <c>os_type</c> (windows: cmd, else POSIX).</summary>
    public static ShellDialect DialectFromParams(VirtParams p)
    {
        if (p.Get("shell_dialect") is { Length: > 0 } name)
            return ShellDialect.FromName(name) ?? throw new VmParamException(p.Get("main_vm") ?? "", "shell_dialect", name, "not a shell dialect", new[] { "posix", "cmd" });
        return ShellDialect.ForOsType(p.Get("os_type"));
    }

    public override string ToString() => Transport == SessionTransport.Rss
        ? $"Rss ({Dialect}) on guest port {ShellPort}"
        : $"{Transport} as {UserName}" + (Password is null ? "" : " (password set)") + (PrivateKeyPath is null ? "" : $" key {PrivateKeyPath}");
}
