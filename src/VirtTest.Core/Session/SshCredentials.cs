using Renci.SshNet;
using Renci.SshNet.Common;

namespace VirtTest.Core.Session;

/// <summary>
/// The login of one <see cref="SshSession"/>: builds SSH.NET connection infos (for the shell
/// connection and for SFTP), holds the loaded private key, and keeps the password out of
/// every message it makes (<see cref="Scrub(string)"/>).
/// </summary>
internal sealed class SshCredentials : IDisposable
{
    /// <summary>Longest wait for one connection attempt (banner, key exchange, login); the overall deadline still rules.</summary>
    private static readonly TimeSpan AttemptLimit = TimeSpan.FromSeconds(10);

    private readonly string _session;
    private readonly PrivateKeyFile? _key;
    private readonly List<IDisposable> _owned = new();

    private SshCredentials(SshConnectionOptions options, string session, PrivateKeyFile? key)
    {
        Options = options;
        _session = session;
        _key = key;
    }

    public SshConnectionOptions Options { get; }

    public static SshCredentials Load(SshConnectionOptions options, string session)
    {
        PrivateKeyFile? key = null;
        if (options.PrivateKeyPath is { } path)
        {
            try
            {
                key = new PrivateKeyFile(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SshException or ArgumentException or NotSupportedException)
            {
                throw new SessionAuthenticationException(session, options.UserName,
                    $"the private key file '{path}' could not be used ({Scrub(ex.Message, options.Password)})", ex);
            }
        }
        return new SshCredentials(options, session, key);
    }

    /// <summary>A fresh connection info: private key first, then password, then keyboard-interactive with the password.</summary>
    public ConnectionInfo CreateConnectionInfo(TimeSpan connectTimeout)
    {
        var user = Options.UserName;
        var methods = new List<AuthenticationMethod>();
        if (_key is not null) methods.Add(new PrivateKeyAuthenticationMethod(user, _key));
        if (Options.Password is { } password)
        {
            methods.Add(new PasswordAuthenticationMethod(user, password));
            var kbd = new KeyboardInteractiveAuthenticationMethod(user);
            kbd.AuthenticationPrompt += (_, e) =>
            {
                foreach (var prompt in e.Prompts)
                    prompt.Response = prompt.Request.Contains("password", StringComparison.OrdinalIgnoreCase) ? password : "";
            };
            methods.Add(kbd);
        }
        lock (_owned) _owned.AddRange(methods.OfType<IDisposable>());
        var timeout = connectTimeout < AttemptLimit ? connectTimeout : AttemptLimit;
        if (timeout < TimeSpan.FromMilliseconds(200)) timeout = TimeSpan.FromMilliseconds(200);
        return new ConnectionInfo(Options.Host, Options.Port, user, methods.ToArray()) { Timeout = timeout };
    }

    /// <summary>The typed login failure: names the user, the host and the methods tried; never the password.</summary>
    public SessionAuthenticationException AuthenticationFailed(Exception ex)
    {
        var tried = new List<string>();
        if (Options.PrivateKeyPath is not null) tried.Add($"the key '{Options.PrivateKeyPath}'");
        if (Options.Password is not null) tried.Add("the password");
        return new SessionAuthenticationException(_session, Options.UserName,
            $"{Options.Host}:{Options.Port} did not accept {string.Join(" or ", tried)} ({Scrub(ex.Message)})", ex);
    }

    public string Scrub(string text) => Scrub(text, Options.Password);

    /// <summary>Replaces the password wherever a message might echo it.</summary>
    public static string Scrub(string text, string? password) =>
        string.IsNullOrEmpty(password) ? text : text.Replace(password, "***", StringComparison.Ordinal);

    public void Dispose()
    {
        lock (_owned)
        {
            foreach (var d in _owned)
            {
                try { d.Dispose(); } catch (ObjectDisposedException) { }
            }
            _owned.Clear();
        }
        _key?.Dispose();
    }
}
