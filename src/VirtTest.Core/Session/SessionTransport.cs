namespace VirtTest.Core.Session;

/// <summary>How a session reaches the guest.</summary>
public enum SessionTransport
{
    /// <summary>The VM's serial console (its chardev socket).</summary>
    Serial,
    /// <summary>SSH to the guest (exec channel for commands, shell stream for interactive use).</summary>
    Ssh,
    /// <summary>
    /// A plain TCP connection to a shell: the remote shell agent of Windows guests (rss.exe,
    /// guest port 10022, serving cmd.exe), or any shell behind a TCP socket (<c>shell_client = nc</c>).
    /// </summary>
    Rss,
}
