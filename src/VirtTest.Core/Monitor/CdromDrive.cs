namespace VirtTest.Core.Monitor;

/// <summary>
/// A CD-ROM drive of a running VM (param <c>cdroms</c>) as its hypervisor reports it: the
/// drive's id (the name in <c>cdroms</c>), its medium (the ISO file, or none when the drive is
/// empty) and the bus the guest sees it on.
/// </summary>
public sealed record CdromDrive
{
    /// <summary>The VM it belongs to (set by VirtualMachine).</summary>
    public string VmName { get; init; } = "";

    /// <summary>The drive's id: its name in <c>cdroms</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The ISO file in the drive, or null when it is empty.</summary>
    public string? File { get; init; }

    /// <summary>The bus the guest sees it on (ide, sata, scsi), when known.</summary>
    public string? Bus { get; init; }

    /// <summary>The hypervisor's name of the drive (QEMU's block device, libvirt's target dev such as hdc).</summary>
    public string? NodeName { get; init; }

    /// <summary>The guest locked the tray (a mounted disc); a change forces it open.</summary>
    public bool Locked { get; init; }

    public bool HasMedium => File is not null;

    public override string ToString() => $"{Id}: {File ?? "(empty)"}";
}
