namespace VirtTest.Core.Session;

/// <summary>How a session reaches the guest.</summary>
public enum SessionTransport
{
    /// <summary>The VM's serial console (its chardev socket).</summary>
    Serial,
    /// <summary>SSH to the guest (exec channel for commands, shell stream for interactive use).</summary>
    Ssh,
}
