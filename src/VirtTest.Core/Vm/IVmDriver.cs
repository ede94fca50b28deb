using VirtTest.Core.Config;
using VirtTest.Core.Monitor;

namespace VirtTest.Core.Vm;

/// <summary>
/// The part of one VM that a backend implements: its hypervisor process or domain, its
/// monitor and its console. <see cref="VirtualMachine"/> wraps it with capability checks
/// and state rules, so drivers stay small.
/// </summary>
public interface IVmDriver : IAsyncDisposable
{
    /// <summary>The params the hypervisor instance was started from (a migration's destination may differ: new disk files).</summary>
    VirtParams Params { get; }

    /// <summary>What this VM (with its params) supports.</summary>
    VmCapability Capabilities { get; }

    VmState State { get; }

    /// <summary>Why the VM is <see cref="VmState.Dead"/> (exit code, signal), when it is.</summary>
    string? DeathReason { get; }

    /// <summary>The monitor; valid while the VM runs.</summary>
    IVmMonitor Monitor { get; }

    /// <summary>Where the guest's serial console can be reached while it runs (a Unix socket path), or null.</summary>
    string? SerialConsolePath { get; }

    /// <summary>
    /// Opens a byte stream to the guest's serial console (a Unix socket for QEMU, the
    /// hypervisor's console stream for others). The caller owns the stream. Fails with
    /// <see cref="ConsoleUnavailableException"/> when the console cannot be reached.
    /// </summary>
    Task<Stream> OpenSerialConsoleAsync(TimeSpan timeout, CancellationToken ct);

    /// <summary>A file that receives everything the guest prints on its serial console, from boot on.</summary>
    string? ConsoleLogPath { get; }

    /// <summary>What the console did besides delivering output (e.g. attached again after a reboot, or ended), for messages about a quiet guest; null when nothing happened.</summary>
    string? ConsoleStatus { get; }

    /// <summary>
    /// How often a wait for guest output asks the hypervisor whether the VM still lives, or null
    /// when the backend hears of the VM's end by itself (QEMU: its process exits). Without it a
    /// domain that crashed (and was destroyed) would only show as a wait that times out.
    /// </summary>
    TimeSpan? LivenessPollInterval { get; }

    /// <summary>
    /// How the host reaches guest TCP ports while the VM runs: guest port → (host, port).
    /// For QEMU user-mode networking these are the <c>redirs</c> forwarded to 127.0.0.1.
    /// </summary>
    IReadOnlyDictionary<int, (string Host, int Port)> GuestPortEndpoints { get; }

    /// <summary>The hypervisor's process id on this host, when there is one.</summary>
    int? ProcessId { get; }

    /// <summary>The VM's NICs with the MAC address each one has (its <c>mac</c> param, or the one the host-wide pool assigned).</summary>
    IReadOnlyList<VmNic> Nics { get; }

    Task StartAsync(bool paused, CancellationToken ct);

    /// <summary>Asks the guest to power off, waits up to <paramref name="gracefulTimeout"/>, then ends the VM by force. Resources are released in every case.</summary>
    Task StopAsync(TimeSpan gracefulTimeout, CancellationToken ct);

    /// <summary>Ends the VM at once and releases its resources.</summary>
    Task KillAsync();

    Task PauseAsync(CancellationToken ct);
    Task ResumeAsync(CancellationToken ct);

    /// <summary>Asks the hypervisor for the current state (also notices a VM that died).</summary>
    Task<VmState> QueryStateAsync(CancellationToken ct);

    /// <summary>
    /// Live-migrates to a new hypervisor instance on this host and returns the driver of the
    /// destination, which is running when this returns; this driver is then stopped.
    /// </summary>
    Task<IVmDriver> MigrateAsync(MigrationOptions options, IProgress<MigrationProgress>? progress, CancellationToken ct);

    /// <summary>
    /// Starts this VM paused as the destination of a migration from another host: it waits for
    /// the migration stream at <paramref name="uri"/> (e.g. <c>tcp:10.0.0.2:4444</c>).
    /// </summary>
    Task StartIncomingMigrationAsync(string uri, CancellationToken ct);

    /// <summary>
    /// Waits until the incoming migration has been received (a destination started by
    /// <see cref="StartIncomingMigrationAsync"/>), then lets the guest run.
    /// </summary>
    Task CompleteIncomingMigrationAsync(TimeSpan timeout, CancellationToken ct);

    /// <summary>
    /// Sends this live VM to a destination waiting at <paramref name="uri"/> on another host.
    /// Once the stream is complete this VM is paused (its guest goes on at the destination);
    /// the caller stops it after the destination confirmed it runs.
    /// </summary>
    Task SendMigrationAsync(string uri, TimeSpan timeout, IProgress<MigrationProgress>? progress, CancellationToken ct);
}
