using System.Text.Json.Nodes;

namespace VirtTest.Core.Monitor;

/// <summary>
/// The hypervisor-neutral monitor operations of one running VM. Each backend implements
/// them; what a backend cannot do it declares through its capability set and answers with
/// <see cref="Vm.NotSupportedByBackendException"/>.
/// </summary>
public interface IVmMonitor
{
    Task<IReadOnlyList<PciDevice>> GetPciDevicesAsync(CancellationToken ct);

    /// <summary>Adds a device and returns it once the hypervisor lists it.</summary>
    Task<PciDevice> AddPciDeviceAsync(PciDeviceSpec spec, TimeSpan timeout, CancellationToken ct);

    /// <summary>Removes a device and returns once the hypervisor reports it gone (the guest has released it).</summary>
    Task RemovePciDeviceAsync(string id, TimeSpan timeout, CancellationToken ct);

    /// <summary>Writes the VM's display to a PNG file.</summary>
    Task SaveScreenshotAsync(string pngPath, CancellationToken ct);

    /// <summary>Presses the keys together (names in QEMU's qcode spelling: ctrl, alt, delete, a, ret, ...).</summary>
    Task SendKeysAsync(IReadOnlyList<string> keys, CancellationToken ct);

    /// <summary>Moves the mouse pointer by a relative amount.</summary>
    Task MoveMouseAsync(int dx, int dy, CancellationToken ct);

    Task SystemResetAsync(CancellationToken ct);
    Task SystemPowerdownAsync(CancellationToken ct);

    /// <summary>Events received so far, in order.</summary>
    IReadOnlyList<MonitorEvent> Events { get; }

    /// <summary>The last event's sequence number (0 before any): pass it to <see cref="WaitForEventAsync"/> to wait only for newer ones.</summary>
    long LastEventSequence { get; }

    /// <summary>Returns the first event named <paramref name="name"/> (matching the predicate) after the given sequence number, waiting for it if needed.</summary>
    Task<MonitorEvent> WaitForEventAsync(string name, Func<MonitorEvent, bool>? predicate, long afterSequence, TimeSpan timeout, CancellationToken ct);

    // ---- disks and block jobs (capabilities BlockInfo, DiskHotplug, LiveSnapshot, BlockJobs)

    /// <summary>The VM's disks: listing, hot-plug, live snapshots and block jobs.</summary>
    IVmDisks Disks { get; }

    // ---- CD-ROM drives (capability CdromChange)

    /// <summary>The VM's CD-ROM drives (<c>cdroms</c>) with their media.</summary>
    Task<IReadOnlyList<CdromDrive>> GetCdromsAsync(CancellationToken ct);

    /// <summary>
    /// Puts the ISO <paramref name="isoPath"/> into the CD-ROM drive <paramref name="id"/>, or ejects
    /// its medium when the path is null, even when the guest locked the tray; returns the drive as
    /// the hypervisor then reports it.
    /// </summary>
    Task<CdromDrive> ChangeCdromAsync(string id, string? isoPath, CancellationToken ct);

    /// <summary>The raw escape hatch: a monitor command by name with JSON arguments.</summary>
    Task<JsonNode?> InvokeRawAsync(string command, JsonObject? arguments, TimeSpan timeout, CancellationToken ct);

    /// <summary>The names of the commands <see cref="InvokeRawAsync"/> accepts (for completion and discovery).</summary>
    Task<IReadOnlyList<string>> ListRawCommandsAsync(CancellationToken ct);

    /// <summary>The raw escape hatch for human (text) monitor commands.</summary>
    Task<string> InvokeHumanAsync(string commandLine, TimeSpan timeout, CancellationToken ct);
}
