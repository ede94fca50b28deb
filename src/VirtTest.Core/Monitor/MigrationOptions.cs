namespace VirtTest.Core.Monitor;

/// <summary>How to migrate a VM.</summary>
public sealed class MigrationOptions
{
    /// <summary>Transport of the migration stream: <c>unix</c> (default, same host) or <c>tcp</c>.</summary>
    public string Protocol { get; init; } = "unix";
    /// <summary>
    /// Also copy the VM's disks (non-shared storage): the destination gets new image files,
    /// <c>&lt;name&gt;-copyN.&lt;format&gt;</c>, and the VM's params name them afterwards.
    /// </summary>
    public bool CopyStorage { get; init; }

    /// <summary>Where the destination's image files go with <see cref="CopyStorage"/> (default: next to each source image).</summary>
    public string? StorageDirectory { get; init; }
    /// <summary>The whole migration must finish within this time.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);
}
