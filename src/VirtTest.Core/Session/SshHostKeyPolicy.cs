namespace VirtTest.Core.Session;

/// <summary>How <see cref="SshSession"/> treats the server's host key, against the known-hosts file.</summary>
public enum SshHostKeyPolicy
{
    /// <summary>
    /// An unknown host is recorded in the known-hosts file and accepted (trust on first use);
    /// a known host that offers a key the file does not record is refused.
    /// </summary>
    AcceptNew,
    /// <summary>Only keys the known-hosts file records are accepted; an unknown host is refused.</summary>
    Strict,
}
