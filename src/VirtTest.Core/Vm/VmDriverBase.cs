using VirtTest.Core.Config;
using VirtTest.Core.Monitor;

namespace VirtTest.Core.Vm;

/// <summary>
/// The life cycle every VM driver shares, whatever the hypervisor: the state machine, the
/// death reason, a death noticed once (however many threads notice it), the stop that asks
/// the guest to power off, waits, then ends the VM by force, and releasing everything in
/// every case. A backend supplies only the hypervisor steps (the <c>…CoreAsync</c> members).
/// </summary>
/// <remarks>
/// The rule behind the ordering: a VM is reported <see cref="VmState.Dead"/> or
/// <see cref="VmState.Stopped"/> only after its resources are released, so a caller that
/// sees either state never finds a process, socket or directory of it left.
/// </remarks>
public abstract class VmDriverBase : IVmDriver
{
    /// <summary>How long a caller that notices a death already being handled waits for that handling.</summary>
    protected static readonly TimeSpan DeathHandlingWait = TimeSpan.FromSeconds(15);

    private readonly object _lifeGate = new();
    private volatile VmState _state = VmState.Created;
    private volatile bool _stopping;
    private string? _deathReason;
    private TaskCompletionSource? _dying;

    protected VmDriverBase(string vmName, VirtParams vmParams, VmCapability capabilities)
    {
        VmName = vmName;
        Params = vmParams;
        Capabilities = capabilities;
    }

    /// <summary>The VM's name in the params (for messages).</summary>
    protected string VmName { get; }

    /// <summary>The VM's own params (after a migration with storage, the destination's: its disks' new files).</summary>
    public VirtParams Params { get; }

    public VmCapability Capabilities { get; }
    public VmState State => _state;
    public string? DeathReason => _deathReason;

    /// <summary>The framework itself is ending the VM: an exit seen now is not a death.</summary>
    protected bool IsStopping => _stopping;

    /// <summary>Running or paused.</summary>
    protected bool IsLive => _state is VmState.Running or VmState.Paused;

    /// <summary>The backend's monitor while the VM runs, else null.</summary>
    protected IVmMonitor? CurrentMonitor { get; set; }

    public IVmMonitor Monitor => CurrentMonitor ?? throw new VmStateException(VmName, _state, "use the monitor of");

    public virtual string? SerialConsolePath => null;
    public virtual string? ConsoleLogPath => null;
    public virtual string? ConsoleStatus => null;
    public virtual TimeSpan? LivenessPollInterval => null;
    public virtual IReadOnlyDictionary<int, (string Host, int Port)> GuestPortEndpoints { get; } = new Dictionary<int, (string, int)>();
    public virtual int? ProcessId => null;

    /// <summary>The NICs of the params; drivers that assign MACs from the pool override this to include them.</summary>
    public virtual IReadOnlyList<VmNic> Nics => new VmParamsReader(VmName, Params).Nics;

    public abstract Task<Stream> OpenSerialConsoleAsync(TimeSpan timeout, CancellationToken ct);

    /// <summary>A hypervisor instance (process, domain) exists that this driver owns and must end.</summary>
    protected abstract bool HasInstance { get; }

    /// <summary>Creates the hypervisor instance and lets it run (or leaves it paused).</summary>
    protected abstract Task StartCoreAsync(bool paused, CancellationToken ct);

    /// <summary>
    /// Asks the guest to power off and waits up to <paramref name="timeout"/>; true when the instance
    /// is gone, false when the guest did not go in time (not an exception: the stop then forces it).
    /// </summary>
    protected abstract Task<bool> PowerOffCoreAsync(TimeSpan timeout, CancellationToken ct);

    /// <summary>Ends the instance at once (no-op when there is none). Must not depend on the guest.</summary>
    protected abstract Task ForceEndAsync();

    /// <summary>Releases what the VM holds on the host (monitor, console, sockets, runtime directory). Idempotent.</summary>
    protected abstract ValueTask ReleaseAsync();

    protected abstract Task PauseCoreAsync(CancellationToken ct);
    protected abstract Task ResumeCoreAsync(CancellationToken ct);

    /// <summary>Asks the hypervisor for the state of a live VM; calls <see cref="MarkDeadAsync"/> when it is gone.</summary>
    protected abstract Task<VmState> QueryCoreAsync(CancellationToken ct);

    public abstract Task<IVmDriver> MigrateAsync(MigrationOptions options, IProgress<MigrationProgress>? progress, CancellationToken ct);

    /// <summary>The backend's name, for typed "not supported" errors.</summary>
    protected virtual string BackendName => GetType().Name;

    public virtual Task StartIncomingMigrationAsync(string uri, CancellationToken ct) =>
        throw new NotSupportedByBackendException(BackendName, VmCapability.MigrationToHost);

    public virtual Task CompleteIncomingMigrationAsync(TimeSpan timeout, CancellationToken ct) =>
        throw new NotSupportedByBackendException(BackendName, VmCapability.MigrationToHost);

    public virtual Task SendMigrationAsync(string uri, TimeSpan timeout, IProgress<MigrationProgress>? progress, CancellationToken ct) =>
        throw new NotSupportedByBackendException(BackendName, VmCapability.MigrationToHost);

    public async Task StartAsync(bool paused, CancellationToken ct)
    {
        BeginStart();
        try
        {
            await StartCoreAsync(paused, ct).ConfigureAwait(false);
            _state = paused ? VmState.Paused : VmState.Running;
        }
        catch
        {
            try { await KillAsync().ConfigureAwait(false); }
            catch (VirtTestException) { /* the start's own error, rethrown below, says more */ }
            // It never ran: it can be started again, like a VM that was never started.
            if (_state != VmState.Dead) _state = VmState.Created;
            throw;
        }
    }

    /// <summary>Checks that the VM may start and resets the per-run state (also for a migration destination).</summary>
    protected void BeginStart()
    {
        if (IsLive || _state == VmState.Starting) throw new VmStateException(VmName, _state, "start");
        lock (_lifeGate)
        {
            _state = VmState.Starting;
            _stopping = false;
            _deathReason = null;
            _dying = null;
        }
    }

    /// <summary>Sets the state for steps the skeleton does not cover (a migration destination taking over).</summary>
    protected void SetState(VmState state) => _state = state;

    /// <summary>Marks the VM as being ended by the framework (a migration's source stopping is not a death).</summary>
    protected void SetStopping(bool stopping) => _stopping = stopping;

    public async Task StopAsync(TimeSpan gracefulTimeout, CancellationToken ct)
    {
        if (!HasInstance || _state is VmState.Dead or VmState.Stopped or VmState.Created)
        {
            await ReleaseAsync().ConfigureAwait(false);
            return;
        }
        _stopping = true;
        try
        {
            if (gracefulTimeout > TimeSpan.Zero)
            {
                try
                {
                    // A paused guest cannot react to the power button.
                    if (_state == VmState.Paused) await ResumeCoreAsync(ct).ConfigureAwait(false);
                    await PowerOffCoreAsync(gracefulTimeout, ct).ConfigureAwait(false);
                }
                catch (VirtTestException) { /* the instance is going away, or refused: ended by force below */ }
            }
        }
        finally
        {
            // Whatever happened (timeout, error, Ctrl+C), what is left is ended and released.
            try { await ForceEndAsync().ConfigureAwait(false); }
            finally
            {
                _state = VmState.Stopped;
                await ReleaseAsync().ConfigureAwait(false);
            }
        }
    }

    public async Task KillAsync()
    {
        _stopping = true;
        var neverStarted = _state == VmState.Created && !HasInstance;
        try
        {
            await ForceEndAsync().ConfigureAwait(false);
        }
        finally
        {
            if (_state != VmState.Dead) _state = neverStarted ? VmState.Created : VmState.Stopped;
            await ReleaseAsync().ConfigureAwait(false);
        }
    }

    public async Task PauseAsync(CancellationToken ct)
    {
        RequireLive("pause");
        await PauseCoreAsync(ct).ConfigureAwait(false);
        _state = VmState.Paused;
    }

    public async Task ResumeAsync(CancellationToken ct)
    {
        RequireLive("resume");
        await ResumeCoreAsync(ct).ConfigureAwait(false);
        _state = VmState.Running;
    }

    public async Task<VmState> QueryStateAsync(CancellationToken ct)
    {
        await WaitForDeathHandlingAsync(ct).ConfigureAwait(false);
        if (!IsLive) return _state;
        var state = await QueryCoreAsync(ct).ConfigureAwait(false);
        if (Volatile.Read(ref _dying) is not null)
        {
            // A death noticed meanwhile (an event on another thread) may have released what the query
            // read: its handling decides the answer, never the query's stale "running".
            await WaitForDeathHandlingAsync(ct).ConfigureAwait(false);
            return _state;
        }
        if (IsLive && state is VmState.Running or VmState.Paused) _state = state;
        return _state;
    }

    /// <summary>Throws the state error (with the death reason when dead) unless the VM is running or paused.</summary>
    protected void RequireLive(string operation)
    {
        if (!IsLive) throw new VmStateException(VmName, _state, operation, _state == VmState.Dead ? _deathReason : null);
    }

    /// <summary>
    /// The instance ended without the framework asking (crash, kill from outside, guest power-off):
    /// releases everything, then reports Dead with <paramref name="reason"/>. Safe to call from any
    /// thread and more than once: the first caller handles it, later ones wait for that to finish
    /// (unless <paramref name="waitForOtherHandler"/> is false: an exit event's thread must not
    /// block, since the handling may need the very process object the event holds).
    /// Ignored while the framework itself is stopping the VM.
    /// </summary>
    protected Task MarkDeadAsync(Func<string> reason, bool waitForOtherHandler = true) => MarkEndedAsync(reason, VmState.Dead, waitForOtherHandler);

    /// <summary>
    /// The guest powered itself off (<c>poweroff</c> inside it) and the hypervisor ended the
    /// instance: released like a death, but reported <see cref="VmState.Stopped"/>, with
    /// <paramref name="reason"/> kept as the <see cref="DeathReason"/>.
    /// </summary>
    protected Task MarkGuestPoweredOffAsync(Func<string> reason, bool waitForOtherHandler = true) =>
        MarkEndedAsync(reason, VmState.Stopped, waitForOtherHandler);

    private async Task MarkEndedAsync(Func<string> reason, VmState final, bool waitForOtherHandler)
    {
        TaskCompletionSource done;
        Task? inProgress;
        lock (_lifeGate)
        {
            inProgress = _dying?.Task;
            if (inProgress is null && (_stopping || !IsLive && _state != VmState.Starting)) return;
            done = _dying ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _stopping = true;
        }
        if (inProgress is not null)
        {
            if (!waitForOtherHandler) return;
            // Noticed twice (an exit event and a state query): show this caller the end, not the middle.
            // A handling that takes longer (a loaded host) is left to finish on its own thread.
            try { await inProgress.WaitAsync(DeathHandlingWait).ConfigureAwait(false); }
            catch (TimeoutException) { }
            return;
        }
        try
        {
            _deathReason = reason();
            // What is left of the instance (a crashed domain a toolstack still lists) goes too.
            try { await ForceEndAsync().ConfigureAwait(false); }
            catch (VirtTestException) { /* best effort: the instance is gone or going */ }
            await ReleaseAsync().ConfigureAwait(false);
        }
        finally
        {
            _state = final;
            done.TrySetResult();
        }
    }

    /// <summary>Waits (bounded) for a death being handled on another thread, if any.</summary>
    protected async Task WaitForDeathHandlingAsync(CancellationToken ct)
    {
        if (Volatile.Read(ref _dying) is not { } dying) return;
        try { await dying.Task.WaitAsync(DeathHandlingWait, ct).ConfigureAwait(false); }
        catch (TimeoutException) { }
    }

    /// <summary>Ends the VM and releases the backend's remaining per-VM resources (MAC addresses, ...).</summary>
    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        await DisposeCoreAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>What the backend keeps beyond a single run of the VM (e.g. its MAC addresses).</summary>
    protected virtual ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;
}
