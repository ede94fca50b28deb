using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using VirtTest.Core.Config;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// A Xen host reached over SSH, from params: <c>xen_host</c> (<c>[user@]host[:port]</c>, user
/// root and port 22 by default), <c>xen_host_password</c>, <c>xen_host_key</c> (a private key
/// file), <c>xen_host_known_hosts</c> (an OpenSSH known-hosts file), <c>xen_host_key_policy</c>
/// (<c>accept-new</c>, the default, or <c>strict</c>) and <c>xen_host_timeout</c> (seconds to
/// connect, default 20). Without <c>xen_host</c>, xl runs on this machine (a dom0).
/// </summary>
public sealed partial class XenHostTarget
{
    public const string HostParam = "xen_host";
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(20);

    public required string UserName { get; init; }
    public required string Host { get; init; }
    public int Port { get; init; } = 22;
    /// <summary>Never shown: not in <see cref="ToString"/>, messages or logs.</summary>
    public string? Password { get; init; }
    public string? PrivateKeyPath { get; init; }
    public string? KnownHostsPath { get; init; }
    public SshHostKeyPolicy HostKeyPolicy { get; init; } = SshHostKeyPolicy.AcceptNew;
    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    /// <summary><c>user@host:port</c>, as messages name the host.</summary>
    public override string ToString() => $"{UserName}@{Host}:{Port}";

    /// <summary>
    /// What tells two connections apart: the target, the key, the known-hosts file and a hash
    /// of the password (VMs with the same login share one connection).
    /// </summary>
    internal string ConnectionKey
    {
        get
        {
            var secret = Password is null ? "-" : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Password)));
            return string.Join('\n', ToString(), PrivateKeyPath ?? "-", KnownHostsPath ?? "-", HostKeyPolicy.ToString(), secret);
        }
    }

    /// <summary>The SSH login for this host.</summary>
    public SshConnectionOptions ToConnectionOptions() => new()
    {
        Host = Host,
        Port = Port,
        UserName = UserName,
        Password = Password,
        PrivateKeyPath = PrivateKeyPath,
        KnownHostsPath = KnownHostsPath,
        HostKeyPolicy = HostKeyPolicy,
    };

    /// <summary>The Xen host the params name, or null for xl on this machine.</summary>
    public static XenHostTarget? FromParams(VirtParams p, string vmName = "")
    {
        if (p.Get(HostParam) is not { Length: > 0 } raw) return null;
        var text = raw.Trim();
        const string source = HostParam;
        var m = TargetRegex().Match(text);
        if (!m.Success)
            throw new VmParamException(vmName, source, text, "not an SSH target: [user@]host[:port], e.g. root@xen1.example.org or root@127.0.0.1:2222");
        var port = 22;
        if (m.Groups["port"].Success && (!int.TryParse(m.Groups["port"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
            throw new VmParamException(vmName, source, text, "the port is not a TCP port (1-65535)");
        var key = p.Get("xen_host_key") is { Length: > 0 } k ? k : null;
        var knownHosts = p.Get("xen_host_known_hosts") is { Length: > 0 } kh ? kh : null;
        var password = p.Get("xen_host_password") is { Length: > 0 } pw ? pw : null;
        if (key is not null && !File.Exists(key)) throw new VmParamException(vmName, "xen_host_key", key, "no such private key file");
        if (key is null && password is null)
            throw new VmParamException(vmName, "xen_host_key", "", $"no login for the Xen host {text}: set xen_host_key (a private key file) or xen_host_password");
        var policy = (p.Get("xen_host_key_policy") is { Length: > 0 } kp ? kp : "accept-new") switch
        {
            "accept-new" => SshHostKeyPolicy.AcceptNew,
            "strict" => SshHostKeyPolicy.Strict,
            var other => throw new VmParamException(vmName, "xen_host_key_policy", other, "not a host key policy", new[] { "accept-new", "strict" }),
        };
        if (policy == SshHostKeyPolicy.Strict && knownHosts is null)
            throw new VmParamException(vmName, "xen_host_known_hosts", "", "xen_host_key_policy = strict needs a known-hosts file");
        var timeout = DefaultConnectTimeout;
        if (p.Get("xen_host_timeout") is { Length: > 0 } t)
        {
            if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0 || seconds > 3600)
                throw new VmParamException(vmName, "xen_host_timeout", t, "not a number of seconds (0-3600)");
            timeout = TimeSpan.FromSeconds(seconds);
        }
        return new XenHostTarget
        {
            UserName = m.Groups["user"].Success ? m.Groups["user"].Value : "root",
            Host = m.Groups["host"].Value.Trim('[', ']'),
            Port = port,
            Password = password,
            PrivateKeyPath = key is null ? null : Path.GetFullPath(key),
            KnownHostsPath = knownHosts is null ? null : Path.GetFullPath(knownHosts),
            HostKeyPolicy = policy,
            ConnectTimeout = timeout,
        };
    }

    // user@host:port; host may be a name, an IPv4 address or a bracketed IPv6 address.
    [GeneratedRegex(@"^(?:(?<user>[A-Za-z0-9_][A-Za-z0-9_.-]*)@)?(?<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(?<port>[0-9]{1,5}))?$")]
    private static partial Regex TargetRegex();
}
