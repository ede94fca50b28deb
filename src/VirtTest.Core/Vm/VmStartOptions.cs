namespace VirtTest.Core.Vm;

/// <summary>Whether a start waits until the guest prints its ready pattern.</summary>
public enum ReadyWait
{
    /// <summary>Return once the hypervisor runs the VM.</summary>
    None,
    /// <summary>Wait when a pattern is known (given, or the params' <c>ready_pattern</c>); else return at once.</summary>
    WhenConfigured,
    /// <summary>Wait; no pattern anywhere is an error.</summary>
    Required,
}

/// <summary>How to start a VM: paused or not, and whether to wait until its guest is ready.</summary>
public sealed record VmStartOptions
{
    /// <summary>Leave the virtual CPUs stopped (no waiting then).</summary>
    public bool Paused { get; init; }

    /// <summary>Whether to wait until the serial console shows the ready pattern; a boot that does not get there is killed.</summary>
    public ReadyWait Wait { get; init; }

    /// <summary>The regular expression that means "ready"; given, it implies waiting. Null: the params' <c>ready_pattern</c>.</summary>
    public string? ReadyPattern { get; init; }

    /// <summary>How long to wait; null: the params' <c>login_timeout</c>.</summary>
    public TimeSpan? Timeout { get; init; }
}
