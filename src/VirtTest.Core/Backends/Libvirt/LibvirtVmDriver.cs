using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using VirtTest.Core.Config;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Libvirt;

/// <summary>
/// One libvirt domain: defined from params when started (a transient name
/// <c>&lt;vm&gt;-&lt;id&gt;</c> so parallel runs never collide), controlled through libvirt's API,
/// and destroyed and undefined however it ends, so nothing stays defined behind a test.
/// </summary>
internal sealed class LibvirtVmDriver : IVmDriver
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    // virDomainState
    private const int StateRunning = 1, StateBlocked = 2, StatePaused = 3, StateShutdown = 4, StateShutoff = 5, StateCrashed = 6, StatePmSuspended = 7;
    // virDomainEventType
    private const int EventStopped = 5;
    // virDomainEventStoppedDetailType: the domain left for another host (our own migration).
    private const int StoppedMigrated = 3;

    private readonly object _gate = new();
    private readonly string _name;
    private readonly VirtParams _params;
    private readonly LibvirtEventLog _events = new();
    private LibvirtConnection? _conn;
    private DomainHandle? _dom;
    private LibvirtMonitor? _monitor;
    private RuntimeDirectory? _runtime;
    private readonly List<int> _callbackIds = new();
    private volatile VmState _state = VmState.Created;
    private volatile bool _stopping;
    private string? _deathReason;
    private TaskCompletionSource? _dying;

    public LibvirtVmDriver(string name, VirtParams vmParams, string uri, VmCapability capabilities)
    {
        _name = name;
        _params = vmParams;
        Uri = uri;
        Capabilities = capabilities;
        DomainName = vmParams.Get("libvirt_domain_name") is { Length: > 0 } explicitName ? explicitName
            : LibvirtDomainXml.SafeId(name) + "-" + Guid.NewGuid().ToString("N")[..8];
    }

    public string Uri { get; }
    /// <summary>The libvirt domain's name (unique per VM object).</summary>
    public string DomainName { get; private init; }
    /// <summary>The domain XML of the current (or last) start.</summary>
    public string? DomainXml { get; private set; }

    public VmCapability Capabilities { get; }
    public VmState State => _state;
    public string? DeathReason => _deathReason;
    public IVmMonitor Monitor => _monitor ?? throw new VmStateException(_name, _state, "use the monitor of");
    public string? SerialConsolePath => null;
    public string? ConsoleLogPath { get; private set; }
    public IReadOnlyDictionary<int, (string Host, int Port)> GuestPortEndpoints { get; } = new Dictionary<int, (string, int)>();
    public int? ProcessId => null;

    public async Task<Stream> OpenSerialConsoleAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (_state is not (VmState.Running or VmState.Paused)) throw new VmStateException(_name, _state, "open the serial console of");
        try
        {
            return await Task.Run(() => (Stream)LibvirtConsoleStream.Open(Uri, DomainName), ct).WaitAsync(timeout, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is LibvirtException or TimeoutException)
        {
            throw new ConsoleUnavailableException($"libvirt did not open the console of domain '{DomainName}': {ex.Message}", ex);
        }
    }

    public async Task StartAsync(bool paused, CancellationToken ct)
    {
        if (_state is VmState.Running or VmState.Paused or VmState.Starting) throw new VmStateException(_name, _state, "start");
        _state = VmState.Starting;
        _stopping = false;
        _deathReason = null;
        _dying = null;
        try
        {
            await Task.Run(() => StartCore(paused), ct).ConfigureAwait(false);
            _state = paused ? VmState.Paused : VmState.Running;
        }
        catch
        {
            await KillAsync().ConfigureAwait(false);
            _state = VmState.Created;
            throw;
        }
    }

    private void StartCore(bool paused)
    {
        _runtime = RuntimeDirectory.Create(_name);
        var conn = LibvirtConnection.Open(Uri);
        _conn = conn;
        // A console log file is only meaningful when libvirt runs on this host; console_log_file
        // (the runner sets it) keeps the log beyond the VM's runtime directory.
        var local = LibvirtBackend.IsLocal(Uri);
        ConsoleLogPath = !local ? null
            : _params.Get("console_log_file") is { Length: > 0 } requested ? Path.GetFullPath(requested)
            : _runtime.File("console.log");
        var domainType = conn.IsQemu ? (_params.Get("enable_kvm") == "yes" ? "kvm" : "qemu") : conn.DriverType.ToLowerInvariant();
        var xml = LibvirtDomainXml.Build(_name, DomainName, domainType, _params, ConsoleLogPath, local ? _runtime.Path : null).ToString();
        DomainXml = xml;
        // No UUID in the XML: libvirt makes a new one, so a name that exists already is
        // refused by libvirt itself and never redefines (then undefines) someone else's domain.
        _dom = conn.Define(xml);
        RegisterEvents(conn, _dom);
        _monitor = new LibvirtMonitor(_name, conn, _dom, _events);
        // QEMU starts with stopped CPUs on request; drivers without that flag (test) start and then pause.
        var startPaused = paused && conn.IsQemu;
        LibvirtConnection.Check(LibvirtNative.virDomainCreateWithFlags(_dom, startPaused ? LibvirtNative.VIR_DOMAIN_START_PAUSED : 0), $"start domain '{DomainName}'");
        if (paused && !startPaused) LibvirtConnection.Check(LibvirtNative.virDomainSuspend(_dom), $"pause domain '{DomainName}'");
    }

    private unsafe void RegisterEvents(LibvirtConnection conn, DomainHandle dom)
    {
        Register(conn, dom, LibvirtNative.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
            (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, IntPtr, int, int, IntPtr, int>)&OnLifecycle, "lifecycle");
        Register(conn, dom, LibvirtNative.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
            (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, IntPtr, void>)&OnDeviceRemoved, "device-removed");
    }

    private unsafe void Register(LibvirtConnection conn, DomainHandle dom, int eventId, IntPtr callback, string what)
    {
        // A weak handle per registration, freed by libvirt's free callback once libvirt has
        // dropped the registration: no event can reach a freed handle.
        var opaque = GCHandle.Alloc(this, GCHandleType.Weak);
        var id = LibvirtNative.virConnectDomainEventRegisterAny(conn.Handle, dom, eventId, callback, GCHandle.ToIntPtr(opaque), &FreeOpaque);
        if (id < 0)
        {
            opaque.Free();
            throw LibvirtException.FromLastError($"register for {what} events");
        }
        lock (_callbackIds) _callbackIds.Add(id);
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void FreeOpaque(IntPtr opaque) => GCHandle.FromIntPtr(opaque).Free();

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static int OnLifecycle(IntPtr conn, IntPtr dom, int eventType, int detail, IntPtr opaque)
    {
        if (GCHandle.FromIntPtr(opaque).Target is LibvirtVmDriver driver)
        {
            driver._events.AddLifecycle(eventType, detail);
            if (eventType == EventStopped && detail != StoppedMigrated && !driver._stopping && driver._state is VmState.Running or VmState.Paused)
            {
                // Not on the event loop thread: cleanup calls back into libvirt.
                ThreadPool.QueueUserWorkItem(_ => driver.OnDied(StoppedReason(detail)));
            }
        }
        return 0;
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void OnDeviceRemoved(IntPtr conn, IntPtr dom, IntPtr alias, IntPtr opaque)
    {
        if (GCHandle.FromIntPtr(opaque).Target is LibvirtVmDriver driver)
        {
            driver._events.AddDeviceRemoved(Marshal.PtrToStringUTF8(alias) ?? "");
        }
    }

    /// <summary>libvirt's virDomainEventStoppedDetailType in words.</summary>
    private static string StoppedReason(int detail) => "the domain shut off on its own (" + detail switch
    {
        0 => "guest shutdown",
        1 => "destroyed from outside",
        2 => "crashed",
        4 => "saved",
        5 => "hypervisor failure",
        _ => "libvirt stop detail " + detail.ToString(System.Globalization.CultureInfo.InvariantCulture),
    } + ")";

    private void OnDied(string reason)
    {
        TaskCompletionSource done;
        Task? inProgress;
        lock (_gate)
        {
            inProgress = _dying?.Task;
            if (inProgress is null && (_stopping || _state is not (VmState.Running or VmState.Paused))) return;
            done = _dying ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _stopping = true;
        }
        if (inProgress is not null)
        {
            // Noticed twice (event and state query): let this caller see the end, not the middle.
            inProgress.Wait(TimeSpan.FromSeconds(15));
            return;
        }
        _deathReason = reason;
        // Clean up before anyone can see the VM as dead, so "dead" always means "nothing left".
        Release(destroy: true);
        _state = VmState.Dead;
        done.TrySetResult();
    }

    public async Task StopAsync(TimeSpan gracefulTimeout, CancellationToken ct)
    {
        var dom = _dom;
        if (dom is null || _state is VmState.Dead or VmState.Stopped or VmState.Created)
        {
            Release(destroy: true);
            return;
        }
        _stopping = true;
        try
        {
            if (gracefulTimeout > TimeSpan.Zero)
            {
                try
                {
                    await Task.Run(() =>
                    {
                        if (_state == VmState.Paused) LibvirtConnection.Check(LibvirtNative.virDomainResume(dom), "resume");
                        LibvirtConnection.Check(LibvirtNative.virDomainShutdownFlags(dom, LibvirtMonitor.PowerButtonFlags(_conn!)), "shut down");
                    }, ct).ConfigureAwait(false);
                    var deadline = DateTime.UtcNow + gracefulTimeout;
                    while (DateTime.UtcNow < deadline && ReadState(dom) is not (StateShutoff or StateCrashed or null))
                    {
                        await Task.Delay(100, ct).ConfigureAwait(false);
                    }
                }
                catch (LibvirtException) { /* the domain is going away or gone: destroy below settles it */ }
            }
        }
        finally
        {
            Release(destroy: true);
            _state = VmState.Stopped;
        }
    }

    /// <summary>libvirt's state number of the domain, or null when it cannot be read (gone).</summary>
    private static int? ReadState(DomainHandle dom)
    {
        try
        {
            if (LibvirtNative.virDomainGetState(dom, out var state, out _, 0) < 0)
            {
                LibvirtNative.virResetLastError();
                return null;
            }
            return state;
        }
        catch (ObjectDisposedException)
        {
            // Released meanwhile by the death handling of a lifecycle event: gone, as far as we can see.
            return null;
        }
    }

    public Task KillAsync()
    {
        _stopping = true;
        var wasCreated = _state == VmState.Created && _dom is null;
        Release(destroy: true);
        if (_state != VmState.Dead) _state = wasCreated ? VmState.Created : VmState.Stopped;
        return Task.CompletedTask;
    }

    /// <summary>Destroys and undefines the domain, drops event callbacks, closes the connection, deletes the runtime directory.</summary>
    private void Release(bool destroy)
    {
        LibvirtConnection? conn;
        DomainHandle? dom;
        RuntimeDirectory? runtime;
        lock (_gate)
        {
            conn = _conn; _conn = null;
            dom = _dom; _dom = null;
            runtime = _runtime; _runtime = null;
            _monitor = null;
        }
        if (conn is not null)
        {
            lock (_callbackIds)
            {
                foreach (var id in _callbackIds) LibvirtNative.virConnectDomainEventDeregisterAny(conn.Handle, id);
                _callbackIds.Clear();
            }
        }
        if (dom is not null)
        {
            if (destroy && ReadState(dom) is not (StateShutoff or null)) LibvirtNative.virDomainDestroy(dom);
            LibvirtNative.virDomainUndefineFlags(dom, 0);
            LibvirtNative.virResetLastError(); // already gone is fine here
            dom.Dispose();
        }
        conn?.Dispose();
        runtime?.Dispose();
    }

    public Task PauseAsync(CancellationToken ct) => Simple(LibvirtNative.virDomainSuspend, "pause", VmState.Paused, ct);

    public Task ResumeAsync(CancellationToken ct) => Simple(LibvirtNative.virDomainResume, "resume", VmState.Running, ct);

    private async Task Simple(Func<DomainHandle, int> call, string operation, VmState after, CancellationToken ct)
    {
        if (_state == VmState.Dead) throw new VmStateException(_name, _state, operation, _deathReason);
        var dom = _dom ?? throw new VmStateException(_name, _state, operation);
        try
        {
            await Task.Run(() => LibvirtConnection.Check(call(dom), $"{operation} domain '{DomainName}'"), ct).WaitAsync(CommandTimeout, ct).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The domain handle was released meanwhile: the VM stopped or died under us.
            if (_dying is { } dying) await dying.Task.WaitAsync(TimeSpan.FromSeconds(15), ct).ConfigureAwait(false);
            throw new VmStateException(_name, _state, operation, _deathReason);
        }
        _state = after;
    }

    public async Task<VmState> QueryStateAsync(CancellationToken ct)
    {
        if (_dying is { } dying) await dying.Task.WaitAsync(TimeSpan.FromSeconds(15), ct).ConfigureAwait(false);
        if (_state is not (VmState.Running or VmState.Paused)) return _state;
        var dom = _dom;
        if (dom is null) return _state;
        var state = await Task.Run(() => ReadState(dom), ct).ConfigureAwait(false);
        switch (state)
        {
            case StateRunning or StateBlocked or StateShutdown:
                _state = VmState.Running;
                break;
            case StatePaused or StatePmSuspended:
                _state = VmState.Paused;
                break;
            case StateShutoff or StateCrashed:
                OnDied(state == StateCrashed ? "the domain shut off on its own (crashed)" : "the domain shut off on its own");
                break;
            case null:
                OnDied("the domain no longer exists in libvirt");
                break;
        }
        return _state;
    }

    /// <summary>
    /// Live-migrates the domain to the libvirt at <c>migration_dest_uri</c> (another daemon:
    /// libvirt refuses a migration to the same daemon or host UUID). The destination takes
    /// over this VM's runtime directory, since the domain's console log lives there.
    /// </summary>
    public async Task<IVmDriver> MigrateAsync(MigrationOptions options, IProgress<MigrationProgress>? progress, CancellationToken ct)
    {
        var destUri = LibvirtBackend.MigrationDestination(_params)
            ?? throw new NotSupportedByBackendException("libvirt", VmCapability.Migration, "param migration_dest_uri (the destination libvirt) is not set");
        if (options.CopyStorage) throw new NotSupportedByBackendException("libvirt", VmCapability.MigrationWithDiskCopy);
        if (_state == VmState.Dead) throw new VmStateException(_name, _state, "migrate", _deathReason);
        var dom = _dom ?? throw new VmStateException(_name, _state, "migrate");
        var runtime = _runtime!;
        var migrateUri = options.Protocol switch
        {
            "tcp" => "tcp://127.0.0.1",
            "unix" => "unix://" + runtime.File("migrate.sock"),
            _ => throw new ArgumentException($"Unknown migration protocol '{options.Protocol}' (valid: unix, tcp)."),
        };
        var wasPaused = _state == VmState.Paused;
        var destination = new LibvirtVmDriver(_name, _params, destUri, Capabilities, DomainName);
        // The source domain stops when the migration ends: that is not a death.
        _stopping = true;
        try
        {
            progress?.Report(new MigrationProgress("active", 0, 0, 0));
            var migrate = Task.Run(() => destination.AdoptMigration(dom, migrateUri, runtime, ConsoleLogPath, DomainXml), CancellationToken.None);
            try
            {
                await migrate.WaitAsync(options.Timeout, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                LibvirtNative.virDomainAbortJob(dom);
                LibvirtNative.virResetLastError();
                try { await migrate.ConfigureAwait(false); } catch (LibvirtException) { }
                if (ex is TimeoutException) throw new MonitorTimeoutException($"migration of VM '{_name}' to {destUri} to complete", options.Timeout);
                throw;
            }
            destination._state = wasPaused ? VmState.Paused : VmState.Running;
            progress?.Report(new MigrationProgress("completed", 0, 0, 0));
        }
        catch
        {
            if (destination._runtime is not null) destination._runtime = null; // still ours: the source keeps it
            await destination.KillAsync().ConfigureAwait(false);
            _stopping = false;
            throw;
        }
        // The domain left this daemon (undefined here); only the handles remain to release.
        lock (_gate) _runtime = null;
        await StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
        return destination;
    }

    private LibvirtVmDriver(string name, VirtParams vmParams, string uri, VmCapability capabilities, string domainName)
        : this(name, vmParams, uri, capabilities)
    {
        DomainName = domainName;
    }

    private void AdoptMigration(DomainHandle source, string migrateUri, RuntimeDirectory runtime, string? consoleLog, string? xml)
    {
        var conn = LibvirtConnection.Open(Uri);
        _conn = conn;
        var dom = LibvirtNative.virDomainMigrate(source, conn.Handle,
            LibvirtNative.VIR_MIGRATE_LIVE | LibvirtNative.VIR_MIGRATE_PERSIST_DEST | LibvirtNative.VIR_MIGRATE_UNDEFINE_SOURCE, null, migrateUri, 0);
        if (dom.IsInvalid)
        {
            var error = LibvirtException.FromLastError($"migrate domain '{DomainName}' to {Uri}");
            dom.Dispose();
            throw error;
        }
        _dom = dom;
        _runtime = runtime;
        ConsoleLogPath = consoleLog;
        DomainXml = xml;
        RegisterEvents(conn, dom);
        _monitor = new LibvirtMonitor(_name, conn, dom, _events);
    }

    public ValueTask DisposeAsync() => new(KillAsync());
}
