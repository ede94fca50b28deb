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
internal sealed class LibvirtVmDriver : VmDriverBase, Network.IGuestAddressProvider
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    // virDomainState
    private const int StateRunning = 1, StateBlocked = 2, StatePaused = 3, StateShutdown = 4, StateShutoff = 5, StateCrashed = 6, StatePmSuspended = 7;
    // virDomainEventType
    private const int EventStopped = 5;
    // virDomainEventStoppedDetailType: the domain left for another host (our own migration).
    private const int StoppedMigrated = 3;
    // virDomainEventStoppedDetailType: the guest shut itself down (on_poweroff = destroy).
    private const int StoppedShutdown = 0;
    // virDomainShutoffReason: the guest shut itself down.
    private const int ShutoffShutdown = 1;

    private readonly object _gate = new();
    private readonly LibvirtEventLog _events = new();
    private LibvirtConnection? _conn;
    private DomainHandle? _dom;
    private RuntimeDirectory? _runtime;
    private readonly List<int> _callbackIds = new();
    private NicMacAddresses _macs = new();

    /// <summary>The NICs with their MACs (pool addresses are assigned on first use and kept until the VM is disposed).</summary>
    public override IReadOnlyList<VmNic> Nics => new VmParamsReader(VmName, _macs.Apply(Params)).Nics;
    private DeviceIdSequence _deviceIds = new();

    private IReadOnlyList<Network.NicAttachment> NicAttachments() => Network.NicAttachment.ReadAll(new VmParamsReader(VmName, Params));

    public LibvirtVmDriver(string name, VirtParams vmParams, string uri, VmCapability capabilities)
        : base(name, vmParams, capabilities)
    {
        Uri = uri;
        DomainName = vmParams.Get("libvirt_domain_name") is { Length: > 0 } explicitName ? explicitName
            : LibvirtDomainXml.SafeId(name) + "-" + Guid.NewGuid().ToString("N")[..8];
    }

    public string Uri { get; }
    /// <summary>The libvirt domain's name (unique per VM object).</summary>
    public string DomainName { get; private init; }
    /// <summary>The domain XML of the current (or last) start.</summary>
    public string? DomainXml { get; private set; }

    public override string? ConsoleLogPath => _consoleLogPath;
    protected override string BackendName => "libvirt";
    private string? _consoleLogPath;

    protected override bool HasInstance => _dom is not null;

    // libvirt refuses a second console stream while one is open: sessions share one.
    private readonly SharedConsole _serial = new();

    public override async Task<Stream> OpenSerialConsoleAsync(TimeSpan timeout, CancellationToken ct)
    {
        RequireLive("open the serial console of");
        try
        {
            // One run of the domain: its runtime directory is new at each start.
            return await _serial.OpenAsync(DomainName + "\n" + _runtime?.Path,
                c => Task.Run(() => (Stream)LibvirtConsoleStream.Open(Uri, DomainName), c).WaitAsync(timeout, c), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is LibvirtException or TimeoutException)
        {
            throw new ConsoleUnavailableException($"libvirt did not open the console of domain '{DomainName}': {ex.Message}", ex);
        }
    }

    protected override Task StartCoreAsync(bool paused, CancellationToken ct) => Task.Run(() => Define(paused), ct);

    private void Define(bool paused)
    {
        _runtime = RuntimeDirectory.Create(VmName);
        var conn = LibvirtConnection.Open(Uri);
        _conn = conn;
        // A console log file is only meaningful when libvirt runs on this host; console_log_file
        // (the runner sets it) keeps the log beyond the VM's runtime directory.
        var local = LibvirtBackend.IsLocal(Uri);
        _consoleLogPath = !local ? null
            : Params.Get("console_log_file") is { Length: > 0 } requested ? Path.GetFullPath(requested)
            : _runtime.File("console.log");
        // A bridge libvirt would not find is the same typed error as on QEMU, before anything is defined
        // (on this host only: netdst_netns names the namespace the private daemon runs in).
        if (local)
        {
            foreach (var nic in NicAttachments().Where(n => n.NetType == "bridge"))
                Network.Bridge.RequireAsync(nic.NetDst!, nic.NetDstNamespace).GetAwaiter().GetResult();
        }
        var domainType = conn.IsQemu ? (new VmParamsReader(VmName, Params).Flag("enable_kvm") ? "kvm" : "qemu") : conn.DriverType.ToLowerInvariant();
        var xml = LibvirtDomainXml.Build(VmName, DomainName, domainType, _macs.Apply(Params), _consoleLogPath, local ? _runtime.Path : null).ToString();
        DomainXml = xml;
        // No UUID in the XML: libvirt makes a new one, so a name that exists already is
        // refused by libvirt itself and never redefines (then undefines) someone else's domain.
        _dom = conn.Define(xml);
        RegisterEvents(conn, _dom);
        CurrentMonitor = new LibvirtMonitor(VmName, conn, _dom, _events, _deviceIds, NicAttachments());
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
        Register(conn, dom, LibvirtNative.VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2,
            (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, int, int, IntPtr, void>)&OnBlockJob, "block-job");
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
            if (eventType == EventStopped && detail != StoppedMigrated && !driver.IsStopping && driver.IsLive)
            {
                // Not on the event loop thread: cleanup calls back into libvirt.
                ThreadPool.QueueUserWorkItem(_ =>
                {
                    // Nothing may escape a pool thread; an end missed here is seen by the next state query.
                    try
                    {
                        (detail == StoppedShutdown
                            ? driver.MarkGuestPoweredOffAsync(() => "the guest powered off", waitForOtherHandler: false)
                            : driver.MarkDeadAsync(() => StoppedReason(detail), waitForOtherHandler: false)).GetAwaiter().GetResult();
                    }
                    catch (Exception) { }
                });
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

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void OnBlockJob(IntPtr conn, IntPtr dom, IntPtr disk, int type, int status, IntPtr opaque)
    {
        if (GCHandle.FromIntPtr(opaque).Target is LibvirtVmDriver driver)
        {
            driver._events.AddBlockJob(Marshal.PtrToStringUTF8(disk) ?? "", type, status);
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

    protected override async Task<bool> PowerOffCoreAsync(TimeSpan timeout, CancellationToken ct)
    {
        var dom = _dom;
        if (dom is null) return true;
        await Task.Run(() => LibvirtConnection.Check(LibvirtNative.virDomainShutdownFlags(dom, LibvirtMonitor.PowerButtonFlags(_conn!)), "shut down"), ct).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + timeout;
        while (ReadState(dom) is not (StateShutoff or StateCrashed or null))
        {
            if (DateTime.UtcNow >= deadline) return false;
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
        return true;
    }

    // Destroying is part of releasing (below): every path that releases the domain ends it.
    protected override Task ForceEndAsync() => Task.CompletedTask;

    protected override ValueTask ReleaseAsync()
    {
        Release();
        return ValueTask.CompletedTask;
    }

    /// <summary>libvirt's state number of the domain, or null when it cannot be read (gone).</summary>
    private static int? ReadState(DomainHandle dom) => ReadStateAndReason(dom)?.State;

    /// <summary>libvirt's state and its reason (for shut off: 1 = the guest shut down), or null when gone.</summary>
    private static (int State, int Reason)? ReadStateAndReason(DomainHandle dom)
    {
        try
        {
            if (LibvirtNative.virDomainGetState(dom, out var state, out var reason, 0) < 0)
            {
                LibvirtNative.virResetLastError();
                return null;
            }
            return (state, reason);
        }
        catch (ObjectDisposedException)
        {
            // Released meanwhile by the death handling of a lifecycle event: gone, as far as we can see.
            return null;
        }
    }

    /// <summary>Destroys and undefines the domain, drops event callbacks, closes the connection, deletes the runtime directory.</summary>
    private void Release()
    {
        LibvirtConnection? conn;
        DomainHandle? dom;
        RuntimeDirectory? runtime;
        lock (_gate)
        {
            conn = _conn; _conn = null;
            dom = _dom; _dom = null;
            runtime = _runtime; _runtime = null;
            CurrentMonitor = null;
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
            if (ReadState(dom) is not (StateShutoff or null)) LibvirtNative.virDomainDestroy(dom);
            LibvirtNative.virDomainUndefineFlags(dom, 0);
            LibvirtNative.virResetLastError(); // already gone is fine here
            dom.Dispose();
        }
        conn?.Dispose();
        runtime?.Dispose();
    }

    protected override Task PauseCoreAsync(CancellationToken ct) => Simple(LibvirtNative.virDomainSuspend, "pause", ct);

    protected override Task ResumeCoreAsync(CancellationToken ct) => Simple(LibvirtNative.virDomainResume, "resume", ct);

    private async Task Simple(Func<DomainHandle, int> call, string operation, CancellationToken ct)
    {
        var dom = _dom ?? throw new VmStateException(VmName, State, operation, DeathReason);
        try
        {
            await Task.Run(() => LibvirtConnection.Check(call(dom), $"{operation} domain '{DomainName}'"), ct).WaitAsync(CommandTimeout, ct).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The domain handle was released meanwhile: the VM stopped or died under us.
            await WaitForDeathHandlingAsync(ct).ConfigureAwait(false);
            throw new VmStateException(VmName, State, operation, DeathReason);
        }
    }

    protected override async Task<VmState> QueryCoreAsync(CancellationToken ct)
    {
        var dom = _dom;
        if (dom is null) return State;
        var read = await Task.Run(() => ReadStateAndReason(dom), ct).ConfigureAwait(false);
        var state = read?.State;
        switch (state)
        {
            case StateRunning or StateBlocked or StateShutdown:
                return VmState.Running;
            case StatePaused or StatePmSuspended:
                return VmState.Paused;
            case StateShutoff when read?.Reason == ShutoffShutdown:
                // The same answer as the lifecycle event gives: the guest powered itself off.
                await MarkGuestPoweredOffAsync(() => "the guest powered off").ConfigureAwait(false);
                return State;
            case StateShutoff or StateCrashed:
                await MarkDeadAsync(() => state == StateCrashed ? "the domain shut off on its own (crashed)" : "the domain shut off on its own").ConfigureAwait(false);
                return State;
            default:
                await MarkDeadAsync(() => "the domain no longer exists in libvirt").ConfigureAwait(false);
                return State;
        }
    }

    /// <summary>
    /// Live-migrates the domain to the libvirt at <c>migration_dest_uri</c> (another daemon:
    /// libvirt refuses a migration to the same daemon or host UUID). The destination takes
    /// over this VM's runtime directory, since the domain's console log lives there.
    /// </summary>
    public override async Task<IVmDriver> MigrateAsync(MigrationOptions options, IProgress<MigrationProgress>? progress, CancellationToken ct)
    {
        var destUri = LibvirtBackend.MigrationDestination(Params)
            ?? throw new NotSupportedByBackendException("libvirt", VmCapability.Migration, "param migration_dest_uri (the destination libvirt) is not set");
        RequireLive("migrate");
        var dom = _dom ?? throw new VmStateException(VmName, State, "migrate");
        var runtime = _runtime!;
        // With storage: new, empty images for the destination, named in its XML and params.
        LibvirtStorageCopy? storage = null;
        if (options.CopyStorage)
        {
            storage = await Task.Run(() => LibvirtStorageCopy.Plan(dom, Params, options), ct).ConfigureAwait(false);
            await storage.CreateImagesAsync(ct).ConfigureAwait(false);
        }
        var migrateUri = options.Protocol switch
        {
            "tcp" => "tcp://127.0.0.1",
            "unix" => "unix://" + runtime.File("migrate.sock"),
            _ => throw new ArgumentException($"Unknown migration protocol '{options.Protocol}' (valid: unix, tcp)."),
        };
        var wasPaused = State == VmState.Paused;
        var destination = new LibvirtVmDriver(VmName, storage?.DestinationParams ?? Params, destUri, Capabilities, DomainName) { _macs = _macs.ForDestination(), _deviceIds = _deviceIds };
        // The source domain stops when the migration ends: that is not a death.
        SetStopping(true);
        try
        {
            progress?.Report(new MigrationProgress("active", 0, 0, 0));
            var disksUri = options.Protocol == "unix" ? "unix://" + runtime.File("nbd.sock") : "tcp://127.0.0.1";
            var migrate = Task.Run(() => destination.AdoptMigration(dom, migrateUri, runtime, ConsoleLogPath, storage?.DestinationXml ?? DomainXml, storage, disksUri), CancellationToken.None);
            try
            {
                await migrate.WaitAsync(options.Timeout, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                LibvirtNative.virDomainAbortJob(dom);
                LibvirtNative.virResetLastError();
                try { await migrate.ConfigureAwait(false); } catch (LibvirtException) { }
                if (ex is TimeoutException) throw new MonitorTimeoutException($"migration of VM '{VmName}' to {destUri} to complete", options.Timeout);
                throw;
            }
            destination.SetState(wasPaused ? VmState.Paused : VmState.Running);
            progress?.Report(new MigrationProgress("completed", 0, 0, 0));
        }
        catch
        {
            if (destination._runtime is not null) destination._runtime = null; // still ours: the source keeps it
            await destination.KillAsync().ConfigureAwait(false);
            SetStopping(false);
            storage?.DeleteImages();
            throw;
        }
        // The domain left this daemon (undefined here); only the handles remain to release.
        lock (_gate) _runtime = null;
        await StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
        _macs.TransferTo(destination._macs);
        return destination;
    }

    private LibvirtVmDriver(string name, VirtParams vmParams, string uri, VmCapability capabilities, string domainName)
        : this(name, vmParams, uri, capabilities)
    {
        DomainName = domainName;
    }

    private void AdoptMigration(DomainHandle source, string migrateUri, RuntimeDirectory runtime, string? consoleLog, string? xml, LibvirtStorageCopy? storage, string disksUri)
    {
        var conn = LibvirtConnection.Open(Uri);
        _conn = conn;
        const uint flags = LibvirtNative.VIR_MIGRATE_LIVE | LibvirtNative.VIR_MIGRATE_PERSIST_DEST | LibvirtNative.VIR_MIGRATE_UNDEFINE_SOURCE;
        var dom = storage is null
            ? LibvirtNative.virDomainMigrate(source, conn.Handle, flags, null, migrateUri, 0)
            : MigrateWithStorage(source, conn, flags | LibvirtNative.VIR_MIGRATE_NON_SHARED_DISK, migrateUri, storage, disksUri);
        if (dom.IsInvalid)
        {
            var error = LibvirtException.FromLastError($"migrate domain '{DomainName}' to {Uri}");
            dom.Dispose();
            throw error;
        }
        _dom = dom;
        _runtime = runtime;
        _consoleLogPath = consoleLog;
        DomainXml = xml;
        RegisterEvents(conn, dom);
        CurrentMonitor = new LibvirtMonitor(VmName, conn, dom, _events, _deviceIds, NicAttachments());
    }

    /// <summary>virDomainMigrate3 with the destination XML (new disk files), the disks to copy and where libvirt's NBD goes.</summary>
    private static DomainHandle MigrateWithStorage(DomainHandle source, LibvirtConnection conn, uint flags, string migrateUri, LibvirtStorageCopy storage, string disksUri)
    {
        IntPtr parameters = IntPtr.Zero;
        int count = 0, max = 0;
        try
        {
            void Add(string name, string value)
            {
                if (LibvirtNative.virTypedParamsAddString(ref parameters, ref count, ref max, name, value) < 0) throw LibvirtException.FromLastError($"build migration parameter {name}");
            }
            Add("migrate_uri", migrateUri);
            Add("destination_xml", storage.DestinationXml);
            Add("disks_uri", disksUri);
            foreach (var copy in storage.Copies) Add("migrate_disks", copy.Target);
            return LibvirtNative.virDomainMigrate3(source, conn.Handle, parameters, (uint)count, flags);
        }
        finally
        {
            if (parameters != IntPtr.Zero) LibvirtNative.virTypedParamsFree(parameters, count);
        }
    }

    protected override ValueTask DisposeCoreAsync()
    {
        _macs.Release();
        return ValueTask.CompletedTask;
    }

    /// <summary>Leases (libvirt networks) and ARP need nothing in the guest; the agent source is asked only when named.</summary>
    public IReadOnlyList<Network.AddressSource> AddressSources { get; } = new[] { Network.AddressSource.LibvirtLease, Network.AddressSource.LibvirtArp };

    public async Task<IReadOnlyList<Network.GuestInterface>> QueryInterfacesAsync(Network.AddressSource source, CancellationToken ct = default)
    {
        var native = source switch
        {
            Network.AddressSource.LibvirtLease => LibvirtNative.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
            Network.AddressSource.LibvirtAgent => LibvirtNative.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT,
            Network.AddressSource.LibvirtArp => LibvirtNative.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP,
            _ => throw new ArgumentException($"libvirt does not report addresses from {source}.", nameof(source)),
        };
        var dom = _dom ?? throw new VmStateException(VmName, State, "ask libvirt for the addresses of", DeathReason);
        try
        {
            return await Task.Run(() => LibvirtInterfaceAddresses.Query(dom, native), ct).WaitAsync(CommandTimeout, ct).ConfigureAwait(false);
        }
        catch (LibvirtException ex)
        {
            throw new Network.NetworkException(VmName, $"libvirt could not report the addresses of domain '{DomainName}' from {source}: {ex.Message}", ex);
        }
        catch (ObjectDisposedException)
        {
            await WaitForDeathHandlingAsync(ct).ConfigureAwait(false);
            throw new VmStateException(VmName, State, "ask libvirt for the addresses of", DeathReason);
        }
    }
}
