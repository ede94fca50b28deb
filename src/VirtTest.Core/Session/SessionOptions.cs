using System.Globalization;
using System.Text.RegularExpressions;
using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Session;

/// <summary>
/// How to log in to a VM's guest, from its params (established names: <c>shell_client</c>,
/// <c>username</c>, <c>password</c>, <c>shell_prompt</c>, <c>login_timeout</c>,
/// <c>shell_port</c>, <c>ssh_key</c>, <c>known_hosts_file</c>, <c>ssh_host_key_policy</c>)
/// with explicit values taking precedence. <see cref="ToString"/> never shows the password.
/// </summary>
public sealed class SessionOptions
{
    public SessionTransport Transport { get; init; } = SessionTransport.Serial;
    public string UserName { get; init; } = "root";
    /// <summary>Sent to the guest only; never logged.</summary>
    public string? Password { get; init; }
    public string? PrivateKeyPath { get; init; }
    public Regex ShellPrompt { get; init; } = new(@"[#$] $");
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>The guest's SSH port (the host side comes from the VM's port redirections).</summary>
    public int ShellPort { get; init; } = 22;
    public string? KnownHostsPath { get; init; }
    /// <summary>"accept-new" (default) or "strict".</summary>
    public string HostKeyPolicy { get; init; } = "accept-new";
    /// <summary>A file that receives everything the guest prints on a serial session.</summary>
    public string? LogPath { get; init; }

    public static SessionOptions FromParams(VirtParams p, SessionTransport? transport = null, string? userName = null, string? password = null,
        TimeSpan? timeout = null)
    {
        var client = p.Get("shell_client") ?? "";
        var t = transport ?? (client.Equals("ssh", StringComparison.OrdinalIgnoreCase) ? SessionTransport.Ssh : SessionTransport.Serial);
        var prompt = p.Get("shell_prompt") is { Length: > 0 } sp ? sp : @"[#$] $";
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
            Timeout = timeout ?? new VmParamsReader(p.Get("main_vm") ?? "", p).LoginTimeout,
            ShellPort = int.TryParse(p.Get("shell_port"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) ? port : 22,
            KnownHostsPath = p.Get("known_hosts_file") is { Length: > 0 } kh ? kh : null,
            HostKeyPolicy = p.Get("ssh_host_key_policy") is { Length: > 0 } hk ? hk : "accept-new",
        };
    }

    public override string ToString() =>
        $"{Transport} as {UserName}" + (Password is null ? "" : " (password set)") + (PrivateKeyPath is null ? "" : $" key {PrivateKeyPath}");
}
