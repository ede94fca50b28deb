using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using VirtTest.Core.Config;
using VirtTest.Core.Monitor;
using VirtTest.Core.Network;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Qemu;

/// <summary>
/// One QEMU process: started from params with its own runtime directory, controlled over
/// QMP, and cleaned up (process, sockets, directory) however it ends, including when QEMU
/// dies on its own. The life cycle itself is <see cref="VmDriverBase"/>'s.
/// </summary>
internal sealed class QemuVmDriver : VmDriverBase
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan QuitTimeout = TimeSpan.FromSeconds(5);

    private readonly object _gate = new();
    private readonly QemuBinary _binary;
    private readonly StringBuilder _stderr = new();
    private NicMacAddresses _macs = new();

    /// <summary>The NICs with their MACs (pool addresses are assigned on first use and kept until the VM is disposed).</summary>
    public override IReadOnlyList<VmNic> Nics => new VmParamsReader(VmName, _macs.Apply(Params)).Nics;
    private DeviceIdSequence _deviceIds = new();
    private RuntimeDirectory? _runtime;
    private Process? _process;
    private QmpClient? _qmp;
    private QemuRuntimePaths? _paths;
    private readonly List<IDisposable> _portReservations = new();
    private readonly List<VmTap> _taps = new();
    private QemuNicHotplug? _nicHotplug;

    public QemuVmDriver(string name, VirtParams vmParams, QemuBinary binary, VmCapability capabilities)
        : base(name, vmParams, capabilities)
    {
        _binary = binary;
    }

    public override string? SerialConsolePath => IsLive ? _paths?.SerialSocket : null;
    public override string? ConsoleLogPath => _paths?.ConsoleLog;
    protected override string BackendName => "qemu";
    public override IReadOnlyDictionary<int, (string Host, int Port)> GuestPortEndpoints => _endpoints;
    private IReadOnlyDictionary<int, (string Host, int Port)> _endpoints = new Dictionary<int, (string, int)>();
    public override int? ProcessId { get { try { return _process is { HasExited: false } p ? p.Id : null; } catch (InvalidOperationException) { return null; } } }
    /// <summary>The argument list of the current (or last) start, for logs and tests.</summary>
    public IReadOnlyList<string> Arguments { get; private set; } = Array.Empty<string>();

    protected override bool HasInstance => _process is not null;

    // QEMU's socket chardev serves one client at a time: sessions share one connection.
    private readonly SharedConsole _serial = new();

    public override Task<Stream> OpenSerialConsoleAsync(TimeSpan timeout, CancellationToken ct) =>
        SerialConsolePath is { } path
            ? _serial.OpenAsync(path, c => UnixSocketConsole.ConnectAsync(path, timeout, c), ct)
            : throw new VmStateException(VmName, State, "open the serial console of");

    protected override Task StartCoreAsync(bool paused, CancellationToken ct) => LaunchAsync(runGuest: !paused, incoming: null, ct);

    /// <summary>Starts QEMU (stopped CPUs), connects QMP, and lets the guest run when asked.</summary>
    private async Task LaunchAsync(bool runGuest, string? incoming, CancellationToken ct)
    {
        lock (_stderr) _stderr.Clear();
        // Locals: a death during start-up releases the fields on another thread.
        var runtime = RuntimeDirectory.Create(VmName);
        _runtime = runtime;
        var paths = QemuRuntimePaths.In(runtime.Path);
        // A caller that keeps console output beyond the VM's life (the test runner) names its own file.
        if (Params.Get("console_log_file") is { Length: > 0 } consoleLog) paths = paths with { ConsoleLog = Path.GetFullPath(consoleLog) };
        _paths = paths;
        var hostPorts = new Dictionary<string, int>();
        var endpoints = new Dictionary<int, (string, int)>();
        foreach (var (redir, guestPort) in QemuCommandLine.Redirections(Params))
        {
            var reservation = Resources.PortAllocator.ReservePort();
            lock (_portReservations) _portReservations.Add(reservation);
            hostPorts[redir] = reservation.Port;
            endpoints[guestPort] = ("127.0.0.1", reservation.Port);
        }
        _endpoints = endpoints;
        var vmParams = _macs.Apply(Params);
        var taps = await CreateTapsAsync(vmParams, ct).ConfigureAwait(false);
        Arguments = QemuCommandLine.Build(VmName, vmParams, _binary, paths, incoming, hostPorts, taps.ToDictionary(t => t.Nic, t => t.Name));
        var psi = new ProcessStartInfo(_binary.Path)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = runtime.Path,
        };
        foreach (var a in Arguments) psi.ArgumentList.Add(a);
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) { if (_stderr.Length < 64 * 1024) _stderr.AppendLine(e.Data); } };
        process.OutputDataReceived += (_, _) => { };
        process.Exited += (_, _) => OnExitedEvent();
        process.Start();
        _process = process;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        // Connect to the monitor, giving up at once if QEMU exits (bad argument, missing file).
        using var exitCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var exitWatch = process.WaitForExitAsync(exitCts.Token).ContinueWith(_ => exitCts.Cancel(), TaskScheduler.Default);
        QmpClient qmp;
        try
        {
            qmp = await QmpClient.ConnectAsync(paths.QmpSocket, ConnectTimeout, exitCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            process.WaitForExit(2000);
            throw new VmException(VmName, $"QEMU for VM '{VmName}' exited during start-up (exit code {SafeExitCode(process)}): {StderrTail()}");
        }
        catch (MonitorException ex) when (process.WaitForExit(3000))
        {
            // The monitor went away because QEMU did: its own error message says why.
            throw new VmException(VmName, $"QEMU for VM '{VmName}' exited during start-up (exit code {SafeExitCode(process)}): {StderrTail()}", ex);
        }
        _qmp = qmp;
        var hotplug = new QemuNicHotplug(VmName, _binary, NicAttachment.ReadAll(new VmParamsReader(VmName, vmParams)));
        _nicHotplug = hotplug;
        var cdromBuses = new VmParamsReader(VmName, vmParams).Cdroms.ToDictionary(c => QemuCommandLine.SafeId(c.Name), c => c.Bus, StringComparer.Ordinal);
        CurrentMonitor = new QemuMonitor(VmName, qmp, _deviceIds, hotplug, cdromBuses);
        foreach (var socket in Directory.GetFiles(runtime.Path, "*.sock")) RuntimeDirectory.MakePrivate(socket);
        // QEMU has opened its taps (in the host's namespace): now they go onto their bridges,
        // before the guest runs (it sends DHCP requests as soon as its NIC is up).
        foreach (var tap in taps) await tap.AttachAsync(ct).ConfigureAwait(false);
        if (runGuest) await qmp.ExecuteAsync("cont", null, CommandTimeout, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A tap for every NIC with <c>nettype = bridge</c>, after checking its bridge exists (a
    /// missing one is a <see cref="BridgeNotFoundException"/> before QEMU starts) and
    /// that vhost-net is there when asked for. Recorded at once, so any failure later removes them.
    /// </summary>
    private async Task<IReadOnlyList<VmTap>> CreateTapsAsync(VirtParams vmParams, CancellationToken ct)
    {
        var created = new List<VmTap>();
        foreach (var nic in new VmParamsReader(VmName, vmParams).Nics)
        {
            var attachment = NicAttachment.Read(VmName, nic);
            if (attachment.NetType != "bridge") continue;
            await Bridge.RequireAsync(attachment.NetDst!, attachment.NetDstNamespace, ct).ConfigureAwait(false);
            if (attachment.Vhost == true && !File.Exists(VhostNetDevice))
                throw new VmParamException(VmName, "vhost_" + nic.Name, "on", $"{VhostNetDevice} does not exist on this host (load the vhost_net module, or set vhost = off)");
            var tap = await VmTap.CreateAsync(VmName, attachment, ct).ConfigureAwait(false);
            lock (_taps) _taps.Add(tap);
            created.Add(tap);
        }
        return created;
    }

    private const string VhostNetDevice = "/dev/vhost-net";

    private static string SafeExitCode(Process p)
    {
        try { return p.HasExited ? p.ExitCode.ToString(CultureInfo.InvariantCulture) : "still running"; }
        catch (InvalidOperationException) { return "unknown"; }
    }

    private string StderrTail()
    {
        string text;
        lock (_stderr) text = _stderr.ToString().Trim();
        if (text.Length == 0) return "(no error output)";
        var lines = text.Split('\n');
        return string.Join(" | ", lines.TakeLast(5)).Trim();
    }

    /// <summary>How long an exited QEMU's monitor connection may take to deliver what QEMU wrote before it closed.</summary>
    private static readonly TimeSpan MonitorDrainTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The Exited event, on a pool thread: nothing may escape it (an exception there ends the process).</summary>
    private void OnExitedEvent()
    {
        // Process holds a lock while it raises Exited, and WaitForExit (used by the handling) takes
        // it: this thread never waits for a handling that runs elsewhere.
        try { OnProcessExited(fromExitEvent: true); }
        catch (Exception) { /* the state query notices the death instead */ }
    }

    /// <summary>QEMU ended: unless the framework ended it, that is a death (crash, kill from outside, guest power-off).</summary>
    private void OnProcessExited(bool fromExitEvent = false)
    {
        var process = _process;
        // The events QEMU wrote before it exited may still be on their way through the monitor
        // connection (the exit can be seen first): QEMU's exit closes it, after them, so wait for
        // that end, briefly. Seen in CI: a guest's power-off read as a death, its event not yet read.
        if (_qmp is { Closed.IsCompleted: false } qmp) qmp.Closed.Wait(MonitorDrainTimeout);
        // QEMU quits after the guest powered itself off: its SHUTDOWN event says "guest": true.
        if (_qmp?.Events.Snapshot().LastOrDefault(e => e.Name == "SHUTDOWN") is { } shutdown && shutdown.Data?["guest"]?.GetValue<bool>() == true)
        {
            MarkGuestPoweredOffAsync(() => "the guest powered off (" + (shutdown.GetString("reason") ?? "guest-shutdown") + ")").GetAwaiter().GetResult();
            return;
        }
        MarkDeadAsync(() =>
        {
            if (process is null) return "QEMU exited on its own";
            WaitForExit(process, 5000); // let the stderr reader catch up, bounded
            var code = SafeExitCode(process);
            var how = int.TryParse(code, out var n) && n > 128 ? $" (killed by signal {n - 128})" : "";
            var tail = StderrTail();
            return $"QEMU exited on its own with exit code {code}{how}" + (tail != "(no error output)" ? ": " + tail : "");
        }, waitForOtherHandler: !fromExitEvent).GetAwaiter().GetResult();
    }

    protected override async Task<bool> PowerOffCoreAsync(TimeSpan timeout, CancellationToken ct)
    {
        var process = _process;
        if (process is null || _qmp is not { IsConnected: true } qmp) return process is null;
        await qmp.ExecuteAsync("system_powerdown", null, CommandTimeout, ct).ConfigureAwait(false);
        if (await WaitForExitAsync(process, timeout, ct).ConfigureAwait(false)) return true;
        // The guest ignored the power button: ask QEMU itself to quit before killing it (it flushes its images).
        try
        {
            await qmp.ExecuteAsync("quit", null, QuitTimeout, ct).ConfigureAwait(false);
        }
        catch (MonitorException) { /* it is going away */ }
        return await WaitForExitAsync(process, QuitTimeout, ct).ConfigureAwait(false);
    }

    private static async Task<bool> WaitForExitAsync(Process process, TimeSpan timeout, CancellationToken ct)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    protected override Task ForceEndAsync()
    {
        var p = _process;
        if (p is null) return Task.CompletedTask;
        try
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { /* never started or already reaped */ }
        return Task.CompletedTask;
    }

    protected override ValueTask ReleaseAsync()
    {
        QmpClient? qmp;
        RuntimeDirectory? runtime;
        Process? process;
        lock (_gate)
        {
            qmp = _qmp; _qmp = null; CurrentMonitor = null;
            runtime = _runtime; _runtime = null;
            process = _process is { } p && HasExited(p) ? p : null;
            if (process is not null) _process = null;
        }
        try { qmp?.Dispose(); } catch (ObjectDisposedException) { }
        runtime?.Dispose();
        lock (_portReservations)
        {
            foreach (var r in _portReservations) r.Dispose();
            _portReservations.Clear();
        }
        process?.Dispose();
        List<VmTap> taps;
        QemuNicHotplug? hotplug;
        lock (_taps)
        {
            taps = _taps.ToList();
            _taps.Clear();
            hotplug = _nicHotplug;
            _nicHotplug = null;
        }
        return taps.Count == 0 && hotplug is null ? ValueTask.CompletedTask : DeleteTapsAsync(taps, hotplug);
    }

    private static async ValueTask DeleteTapsAsync(IReadOnlyList<VmTap> taps, QemuNicHotplug? hotplug)
    {
        foreach (var tap in taps) await tap.DeleteAsync().ConfigureAwait(false);
        if (hotplug is not null) await hotplug.ReleaseAsync().ConfigureAwait(false);
    }

    protected override Task PauseCoreAsync(CancellationToken ct) => RequireQmp("pause").ExecuteAsync("stop", null, CommandTimeout, ct);

    protected override Task ResumeCoreAsync(CancellationToken ct) => RequireQmp("resume").ExecuteAsync("cont", null, CommandTimeout, ct);

    private QmpClient RequireQmp(string operation) => _qmp ?? throw new VmStateException(VmName, State, operation, DeathReason);

    protected override async Task<VmState> QueryCoreAsync(CancellationToken ct)
    {
        var qmp = _qmp;
        var process = _process;
        if (qmp is null || process is null || HasExited(process))
        {
            // QEMU is gone or going. Its exit may be handled right now on the Exited event's
            // thread; this call either handles it or waits for that to finish, so the answer
            // is never "Running" for a dead QEMU.
            OnProcessExited();
            return State;
        }
        try
        {
            var status = await qmp.ExecuteAsync("query-status", null, CommandTimeout, ct).ConfigureAwait(false);
            return status?["running"]?.GetValue<bool>() ?? false ? VmState.Running : VmState.Paused;
        }
        catch (Exception ex) when (ex is MonitorConnectionException or ObjectDisposedException)
        {
            // The monitor went away: QEMU exited (or is exiting) behind our back.
            if (WaitForExit(process, 5000)) OnProcessExited();
            return State;
        }
    }

    /// <summary>Process.HasExited, where a process object already released by the exit handling counts as exited.</summary>
    private static bool HasExited(Process process)
    {
        try { return process.HasExited; }
        catch (InvalidOperationException) { return true; }
    }

    private static bool WaitForExit(Process process, int milliseconds)
    {
        try { return process.WaitForExit(milliseconds); }
        catch (InvalidOperationException) { return true; }
    }

    public override async Task<IVmDriver> MigrateAsync(MigrationOptions options, IProgress<MigrationProgress>? progress, CancellationToken ct)
    {
        RequireLive("migrate");
        var source = RequireQmp("migrate");
        var wasRunning = State == VmState.Running;
        var deadline = DateTime.UtcNow + options.Timeout;
        // With storage: new image files for the destination, which then starts from params naming them.
        var storage = options.CopyStorage ? await QemuStorageMigration.PrepareAsync(VmName, Params, source, options, ct).ConfigureAwait(false) : null;
        // The guest keeps its MACs; the destination owns them only once the migration succeeded.
        var destination = new QemuVmDriver(VmName, storage?.DestinationParams ?? Params, _binary, Capabilities) { _macs = _macs.ForDestination(), _deviceIds = _deviceIds };
        var switchoverPause = false;
        try
        {
            destination.BeginStart();
            await destination.LaunchAsync(runGuest: false, incoming: "defer", ct).ConfigureAwait(false);
            destination.SetState(VmState.Paused);
            var uri = options.Protocol switch
            {
                "unix" => "unix:" + Path.Combine(destination._runtime!.Path, "migrate.sock"),
                "tcp" => "tcp:127.0.0.1:" + FreeTcpPort().ToString(CultureInfo.InvariantCulture),
                _ => throw new ArgumentException($"Unknown migration protocol '{options.Protocol}' (valid: unix, tcp)."),
            };
            await destination._qmp!.ExecuteAsync("migrate-incoming", new JsonObject { ["uri"] = uri }, CommandTimeout, ct).ConfigureAwait(false);
            if (storage is { Copies.Count: > 0 })
            {
                var nbdSocket = Path.Combine(destination._runtime!.Path, "nbd.sock");
                await storage.ExportAsync(destination._qmp!, nbdSocket, ct).ConfigureAwait(false);
                await storage.MirrorAsync(source, nbdSocket, progress, deadline, options.Timeout, ct).ConfigureAwait(false);
                // Stop before the switch-over, so the mirrors can finish while the source is stopped and its disks still active.
                await SetSwitchoverPauseAsync(source, true, ct).ConfigureAwait(false);
                switchoverPause = true;
            }
            await RunMigrationAsync(source, uri, "", deadline, options.Timeout, progress,
                storage is null ? null : () => storage.FinishMirrorsAsync(source, ct),
                () =>
                {
                    // QEMU often gives no reason; the destination's stderr usually has it.
                    destination.WaitForExitBriefly();
                    return $" (destination: {destination.StderrTail()})";
                }, ct).ConfigureAwait(false);

            // The destination was started with -S, so it stays paused until told to run.
            await destination.WaitForIncomingLoadedAsync(TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            if (storage is not null) await storage.UnexportAsync(destination._qmp!, ct).ConfigureAwait(false);
            if (wasRunning)
            {
                await destination._qmp!.ExecuteAsync("cont", null, CommandTimeout, ct).ConfigureAwait(false);
                destination.SetState(VmState.Running);
            }
        }
        catch
        {
            await destination.KillAsync().ConfigureAwait(false);
            if (storage is not null)
            {
                try { await source.ExecuteAsync("migrate_cancel", null, CommandTimeout, CancellationToken.None).ConfigureAwait(false); } catch (MonitorException) { }
                await storage.AbortAsync(source).ConfigureAwait(false);
                if (switchoverPause) await SetSwitchoverPauseAsync(source, false, CancellationToken.None).ConfigureAwait(false);
                // A failure at the switch-over leaves the source stopped: the guest goes on where it was.
                if (wasRunning)
                {
                    try { await source.ExecuteAsync("cont", null, CommandTimeout, CancellationToken.None).ConfigureAwait(false); } catch (MonitorException) { }
                }
            }
            throw;
        }
        await StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
        _macs.TransferTo(destination._macs);
        return destination;
    }

    /// <summary>
    /// Runs QEMU's migration from <paramref name="source"/> to <paramref name="uri"/> to its end:
    /// progress from query-migrate, <paramref name="atPreSwitchover"/> once when the source stops
    /// before the switch-over (storage copies), a failure as a MonitorException with its reason,
    /// the deadline as a cancelled migration and a MonitorTimeoutException.
    /// </summary>
    private async Task RunMigrationAsync(QmpClient source, string uri, string where, DateTime deadline, TimeSpan timeout,
        IProgress<MigrationProgress>? progress, Func<Task>? atPreSwitchover, Func<string>? failureDetail, CancellationToken ct)
    {
        await source.ExecuteAsync("migrate", new JsonObject { ["uri"] = uri }, CommandTimeout, ct).ConfigureAwait(false);
        var switchedOver = false;
        while (true)
        {
            var info = await source.ExecuteAsync("query-migrate", null, CommandTimeout, ct).ConfigureAwait(false) as JsonObject;
            var status = info?["status"]?.GetValue<string>() ?? "none";
            var ram = info?["ram"] as JsonObject;
            progress?.Report(new MigrationProgress(status, Long(ram?["transferred"]), Long(ram?["total"]), Long(ram?["remaining"])));
            if (status == "completed") return;
            if (status == "pre-switchover" && atPreSwitchover is not null && !switchedOver)
            {
                await atPreSwitchover().ConfigureAwait(false);
                switchedOver = true;
                await source.ExecuteAsync("migrate-continue", new JsonObject { ["state"] = "pre-switchover" }, CommandTimeout, ct).ConfigureAwait(false);
                continue;
            }
            if (status is "failed" or "cancelled")
                throw new MonitorException($"Migration of VM '{VmName}'{where} {status}: {info?["error-desc"]?.GetValue<string>() ?? "no reason given"}{failureDetail?.Invoke()}.");
            if (DateTime.UtcNow >= deadline)
            {
                try { await source.ExecuteAsync("migrate_cancel", null, CommandTimeout, CancellationToken.None).ConfigureAwait(false); } catch (MonitorException) { }
                throw new MonitorTimeoutException($"migration of VM '{VmName}'{where} to complete", timeout);
            }
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until this destination has loaded the whole migration stream (no longer 'inmigrate').</summary>
    private async Task WaitForIncomingLoadedAsync(TimeSpan timeout, CancellationToken ct)
    {
        var qmp = RequireQmp("receive a migration");
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var status = await qmp.ExecuteAsync("query-status", null, CommandTimeout, ct).ConfigureAwait(false);
            if (status?["status"]?.GetValue<string>() != "inmigrate") return;
            if (DateTime.UtcNow >= deadline) throw new MonitorTimeoutException($"VM '{VmName}' to finish loading the migration stream", timeout);
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    public override async Task StartIncomingMigrationAsync(string uri, CancellationToken ct)
    {
        BeginStart();
        try
        {
            await LaunchAsync(runGuest: false, incoming: "defer", ct).ConfigureAwait(false);
            await _qmp!.ExecuteAsync("migrate-incoming", new JsonObject { ["uri"] = uri }, CommandTimeout, ct).ConfigureAwait(false);
            SetState(VmState.Paused);
        }
        catch
        {
            try { await KillAsync().ConfigureAwait(false); }
            catch (VirtTestException) { /* the start's own error says more */ }
            if (State != VmState.Dead) SetState(VmState.Created);
            throw;
        }
    }

    public override async Task CompleteIncomingMigrationAsync(TimeSpan timeout, CancellationToken ct)
    {
        RequireLive("complete the incoming migration of");
        await WaitForIncomingLoadedAsync(timeout, ct).ConfigureAwait(false);
        await RequireQmp("resume").ExecuteAsync("cont", null, CommandTimeout, ct).ConfigureAwait(false);
        SetState(VmState.Running);
    }

    public override async Task SendMigrationAsync(string uri, TimeSpan timeout, IProgress<MigrationProgress>? progress, CancellationToken ct)
    {
        RequireLive("migrate");
        await RunMigrationAsync(RequireQmp("migrate"), uri, $" to {uri}", DateTime.UtcNow + timeout, timeout, progress, null, null, ct).ConfigureAwait(false);
        // The guest goes on at the destination; QEMU keeps this one stopped ('postmigrate').
        SetState(VmState.Paused);
    }

    private static async Task SetSwitchoverPauseAsync(QmpClient qmp, bool on, CancellationToken ct)
    {
        try
        {
            await qmp.ExecuteAsync("migrate-set-capabilities", new JsonObject
            {
                ["capabilities"] = new JsonArray { new JsonObject { ["capability"] = "pause-before-switchover", ["state"] = on } },
            }, CommandTimeout, ct).ConfigureAwait(false);
        }
        catch (MonitorException) when (!on)
        {
            // Best effort when undoing it after a failure.
        }
    }

    private void WaitForExitBriefly()
    {
        if (_process is { } p) WaitForExit(p, 1000);
    }

    private static long Long(JsonNode? n) => n is JsonValue v && v.TryGetValue<long>(out var l) ? l : 0;

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    protected override ValueTask DisposeCoreAsync()
    {
        _macs.Release();
        return ValueTask.CompletedTask;
    }
}
