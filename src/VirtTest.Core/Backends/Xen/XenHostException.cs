namespace VirtTest.Core.Backends.Xen;

/// <summary>The Xen host (param <c>xen_host</c>) could not be reached or used over SSH: names the host and why.</summary>
public class XenHostException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "XenHost";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ConnectionError;

    public XenHostException(string host, string message, Exception? inner = null)
        : base($"Xen host {host}: {message}", inner) => Host = host;

    /// <summary>The host as <c>user@host:port</c>.</summary>
    public string Host { get; }
}

/// <summary>The Xen host refused the login (wrong user, password or key). The message never contains the password.</summary>
public sealed class XenHostAuthenticationException : XenHostException
{
    /// <inheritdoc />
    public override string ErrorId => "XenHostAuthentication";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.AuthenticationError;

    public XenHostAuthenticationException(string host, string message, Exception? inner = null) : base(host, message, inner) { }
}
