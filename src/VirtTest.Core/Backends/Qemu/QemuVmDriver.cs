using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using VirtTest.Core.Config;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Qemu;

/// <summary>
/// One QEMU process: started from params with its own runtime directory, controlled over
/// QMP, and cleaned up (process, sockets, directory) however it ends, including when QEMU
/// dies on its own.
/// </summary>
internal sealed class QemuVmDriver : IVmDriver
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly object _gate = new();
    private readonly string _name;
    private readonly VirtParams _params;
    private readonly QemuBinary _binary;
    private readonly StringBuilder _stderr = new();
    // MACs for NICs whose params name none, from the host-wide pool so parallel VMs never
    // share one; kept across restarts, handed to the destination of a migration, released on dispose.
    private static readonly Lazy<Resources.MacAddressPool> MacPool = new(() => new Resources.MacAddressPool());
    private Dictionary<string, string> _nicMacs = new(StringComparer.Ordinal);
    private bool _ownsMacs = true;
    private RuntimeDirectory? _runtime;
    private Process? _process;
    private QmpClient? _qmp;
    private QemuMonitor? _monitor;
    private volatile VmState _state = VmState.Created;
    private volatile bool _stopping;
    private bool _exitHandled;
    private TaskCompletionSource _exitDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _deathReason;
    private QemuRuntimePaths? _paths;
    private readonly List<IDisposable> _portReservations = new();

    public QemuVmDriver(string name, VirtParams vmParams, QemuBinary binary, VmCapability capabilities)
    {
        _name = name;
        _params = vmParams;
        _binary = binary;
        Capabilities = capabilities;
    }

    public VmCapability Capabilities { get; }
    public VmState State => _state;
    public string? DeathReason => _deathReason;
    public IVmMonitor Monitor => _monitor ?? throw new VmStateException(_name, _state, "use the monitor of");
    public string? SerialConsolePath => _state is VmState.Running or VmState.Paused ? _paths?.SerialSocket : null;
    public string? ConsoleLogPath => _paths?.ConsoleLog;

    public Task<Stream> OpenSerialConsoleAsync(TimeSpan timeout, CancellationToken ct) =>
        SerialConsolePath is { } path
            ? UnixSocketConsole.ConnectAsync(path, timeout, ct)
            : throw new VmStateException(_name, _state, "open the serial console of");
    public IReadOnlyDictionary<int, (string Host, int Port)> GuestPortEndpoints { get; private set; } = new Dictionary<int, (string, int)>();
    public int? ProcessId { get { try { return _process is { HasExited: false } p ? p.Id : null; } catch (InvalidOperationException) { return null; } } }
    /// <summary>The argument list of the current (or last) start, for logs and tests.</summary>
    public IReadOnlyList<string> Arguments { get; private set; } = Array.Empty<string>();

    public Task StartAsync(bool paused, CancellationToken ct) => StartCoreAsync(paused, incoming: null, ct);

    private async Task StartCoreAsync(bool paused, string? incoming, CancellationToken ct)
    {
        if (_state is VmState.Running or VmState.Paused or VmState.Starting) throw new VmStateException(_name, _state, "start");
        _state = VmState.Starting;
        _stopping = false;
        _exitHandled = false;
        _exitDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _deathReason = null;
        _stderr.Clear();
        try
        {
            _runtime = RuntimeDirectory.Create(_name);
            _paths = QemuRuntimePaths.In(_runtime.Path);
            // A caller that keeps console output beyond the VM's life (the test runner) names its own file.
            if (_params.Get("console_log_file") is { Length: > 0 } consoleLog) _paths = _paths with { ConsoleLog = Path.GetFullPath(consoleLog) };
            var hostPorts = new Dictionary<string, int>();
            var endpoints = new Dictionary<int, (string, int)>();
            foreach (var (redir, guestPort) in QemuCommandLine.Redirections(_params))
            {
                var reservation = Resources.PortAllocator.ReservePort();
                _portReservations.Add(reservation);
                hostPorts[redir] = reservation.Port;
                endpoints[guestPort] = ("127.0.0.1", reservation.Port);
            }
            GuestPortEndpoints = endpoints;
            Arguments = QemuCommandLine.Build(_name, ParamsWithMacs(), _binary, _paths, incoming, hostPorts);
            var psi = new ProcessStartInfo(_binary.Path)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = _runtime.Path,
            };
            foreach (var a in Arguments) psi.ArgumentList.Add(a);
            var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) { if (_stderr.Length < 64 * 1024) _stderr.AppendLine(e.Data); } };
            process.OutputDataReceived += (_, _) => { };
            process.Exited += (_, _) => OnProcessExited();
            process.Start();
            _process = process;
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();

            // Connect to the monitor, giving up at once if QEMU exits (bad argument, missing file).
            using var exitCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var exitWatch = process.WaitForExitAsync(exitCts.Token).ContinueWith(_ => exitCts.Cancel(), TaskScheduler.Default);
            try
            {
                _qmp = await QmpClient.ConnectAsync(_paths.QmpSocket, ConnectTimeout, exitCts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                process.WaitForExit(2000);
                throw new VmException(_name, $"QEMU for VM '{_name}' exited during start-up (exit code {SafeExitCode(process)}): {StderrTail()}");
            }
            catch (MonitorException ex) when (process.WaitForExit(3000))
            {
                // The monitor went away because QEMU did: its own error message says why.
                throw new VmException(_name, $"QEMU for VM '{_name}' exited during start-up (exit code {SafeExitCode(process)}): {StderrTail()}", ex);
            }
            _monitor = new QemuMonitor(_qmp);
            foreach (var socket in Directory.GetFiles(_runtime.Path, "*.sock")) RuntimeDirectory.MakePrivate(socket);

            if (incoming is null && !paused)
            {
                await _qmp.ExecuteAsync("cont", null, CommandTimeout, ct).ConfigureAwait(false);
                _state = VmState.Running;
            }
            else
            {
                _state = VmState.Paused;
            }
        }
        catch
        {
            await KillAsync().ConfigureAwait(false);
            throw;
        }
    }

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

    private void OnProcessExited()
    {
        var process = _process;
        TaskCompletionSource done;
        bool cleanupRunsElsewhere;
        lock (_gate)
        {
            if (_stopping) return;
            cleanupRunsElsewhere = _exitHandled;
            // Once cleanup has started, _process may already be released: wait for it instead.
            if (process is null && !cleanupRunsElsewhere) return;
            _exitHandled = true;
            done = _exitDone;
        }
        if (cleanupRunsElsewhere)
        {
            // Another thread is cleaning up: let this caller see the end state, not the middle.
            done.Task.Wait(TimeSpan.FromSeconds(15));
            return;
        }
        if (process is null) return;
        // QEMU ended without us asking: a crash, a kill from outside, or the guest powered off.
        process.WaitForExit(); // flush the stderr reader
        var code = SafeExitCode(process);
        var how = int.TryParse(code, out var n) && n > 128 ? $" (killed by signal {n - 128})" : "";
        _deathReason = $"QEMU exited on its own with exit code {code}{how}" + (StderrTail() is var tail && tail != "(no error output)" ? ": " + tail : "");
        // Clean up before anyone can see the VM as dead, so "dead" always means "nothing left".
        ReleaseResources();
        _state = VmState.Dead;
        done.TrySetResult();
    }

    public async Task StopAsync(TimeSpan gracefulTimeout, CancellationToken ct)
    {
        var process = _process;
        if (process is null || _state is VmState.Dead or VmState.Stopped or VmState.Created)
        {
            ReleaseResources();
            return;
        }
        _stopping = true;
        try
        {
            if (gracefulTimeout > TimeSpan.Zero && _qmp is { IsConnected: true } qmp)
            {
                try
                {
                    if (_state == VmState.Paused) await qmp.ExecuteAsync("cont", null, CommandTimeout, ct).ConfigureAwait(false);
                    await qmp.ExecuteAsync("system_powerdown", null, CommandTimeout, ct).ConfigureAwait(false);
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    wait.CancelAfter(gracefulTimeout);
                    await process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested) { /* guest ignored the power button */ }
                catch (MonitorException) { /* QEMU is going away or gone */ }
                if (!process.HasExited)
                {
                    // Ask QEMU itself to quit before killing it: it flushes its images.
                    try
                    {
                        await qmp.ExecuteAsync("quit", null, TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
                        using var quitWait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        quitWait.CancelAfter(TimeSpan.FromSeconds(5));
                        await process.WaitForExitAsync(quitWait.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested) { }
                    catch (MonitorException) { }
                }
            }
        }
        finally
        {
            KillProcess();
            _state = VmState.Stopped;
            ReleaseResources();
        }
    }

    public Task KillAsync()
    {
        _stopping = true;
        KillProcess();
        if (_state != VmState.Dead) _state = _process is null && _state == VmState.Created ? VmState.Created : VmState.Stopped;
        ReleaseResources();
        return Task.CompletedTask;
    }

    private void KillProcess()
    {
        var p = _process;
        if (p is null) return;
        try
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
            p.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { /* never started or already reaped */ }
    }

    private void ReleaseResources()
    {
        QmpClient? qmp;
        RuntimeDirectory? runtime;
        Process? process;
        lock (_gate)
        {
            qmp = _qmp; _qmp = null; _monitor = null;
            runtime = _runtime; _runtime = null;
            process = _process?.HasExited == true ? _process : null;
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
    }

    public async Task PauseAsync(CancellationToken ct)
    {
        await RequireQmp("pause").ExecuteAsync("stop", null, CommandTimeout, ct).ConfigureAwait(false);
        _state = VmState.Paused;
    }

    public async Task ResumeAsync(CancellationToken ct)
    {
        await RequireQmp("resume").ExecuteAsync("cont", null, CommandTimeout, ct).ConfigureAwait(false);
        _state = VmState.Running;
    }

    private QmpClient RequireQmp(string operation)
    {
        if (_state == VmState.Dead) throw new VmStateException(_name, _state, operation, _deathReason);
        return _qmp ?? throw new VmStateException(_name, _state, operation);
    }

    public async Task<VmState> QueryStateAsync(CancellationToken ct)
    {
        if (_state is not (VmState.Running or VmState.Paused)) return _state;
        var qmp = _qmp;
        var process = _process;
        if (qmp is null || process is null || HasExited(process))
        {
            // QEMU is gone or going. The exit may be handled right now on the Exited event's
            // thread (which releases _qmp and _process before the state says Dead): this call
            // either handles it or waits for that handling to finish, so the answer is never
            // "Running" for a dead QEMU.
            OnProcessExited();
            return _state;
        }
        try
        {
            var status = await qmp.ExecuteAsync("query-status", null, CommandTimeout, ct).ConfigureAwait(false);
            var running = status?["running"]?.GetValue<bool>() ?? false;
            _state = running ? VmState.Running : VmState.Paused;
        }
        catch (Exception ex) when (ex is MonitorConnectionException or ObjectDisposedException)
        {
            // The monitor went away: QEMU exited (or is exiting) behind our back.
            if (WaitForExit(process, 5000)) OnProcessExited();
        }
        return _state;
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

    public async Task<IVmDriver> MigrateAsync(MigrationOptions options, IProgress<MigrationProgress>? progress, CancellationToken ct)
    {
        var source = RequireQmp("migrate");
        var wasRunning = _state == VmState.Running;
        var destination = new QemuVmDriver(_name, _params, _binary, Capabilities);
        // The guest keeps its MACs; the destination owns them only once the migration succeeded.
        destination._nicMacs = new Dictionary<string, string>(_nicMacs, StringComparer.Ordinal);
        destination._ownsMacs = false;
        try
        {
            await destination.StartCoreAsync(paused: true, incoming: "defer", ct).ConfigureAwait(false);
            var uri = options.Protocol switch
            {
                "unix" => "unix:" + Path.Combine(destination._runtime!.Path, "migrate.sock"),
                "tcp" => "tcp:127.0.0.1:" + FreeTcpPort().ToString(CultureInfo.InvariantCulture),
                _ => throw new ArgumentException($"Unknown migration protocol '{options.Protocol}' (valid: unix, tcp)."),
            };
            await destination._qmp!.ExecuteAsync("migrate-incoming", new JsonObject { ["uri"] = uri }, CommandTimeout, ct).ConfigureAwait(false);
            var migrateArgs = new JsonObject { ["uri"] = uri };
            if (options.CopyStorage) migrateArgs["blk"] = true;
            await source.ExecuteAsync("migrate", migrateArgs, CommandTimeout, ct).ConfigureAwait(false);

            var deadline = DateTime.UtcNow + options.Timeout;
            while (true)
            {
                var info = await source.ExecuteAsync("query-migrate", null, CommandTimeout, ct).ConfigureAwait(false) as JsonObject;
                var status = info?["status"]?.GetValue<string>() ?? "none";
                var ram = info?["ram"] as JsonObject;
                progress?.Report(new MigrationProgress(status, Long(ram?["transferred"]), Long(ram?["total"]), Long(ram?["remaining"])));
                if (status == "completed") break;
                if (status is "failed" or "cancelled")
                    throw new MonitorException($"Migration of VM '{_name}' {status}: {info?["error-desc"]?.GetValue<string>() ?? "no reason given"}.");
                if (DateTime.UtcNow >= deadline)
                {
                    try { await source.ExecuteAsync("migrate_cancel", null, CommandTimeout, CancellationToken.None).ConfigureAwait(false); } catch (MonitorException) { }
                    throw new MonitorTimeoutException($"migration of VM '{_name}' to complete", options.Timeout);
                }
                await Task.Delay(100, ct).ConfigureAwait(false);
            }

            // The destination was started with -S, so it stays paused until told to run.
            var destDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (true)
            {
                var status = await destination._qmp!.ExecuteAsync("query-status", null, CommandTimeout, ct).ConfigureAwait(false);
                if (status?["status"]?.GetValue<string>() != "inmigrate") break;
                if (DateTime.UtcNow >= destDeadline) throw new MonitorTimeoutException($"the destination of VM '{_name}' to finish loading the migration stream", TimeSpan.FromSeconds(30));
                await Task.Delay(50, ct).ConfigureAwait(false);
            }
            if (wasRunning)
            {
                await destination._qmp!.ExecuteAsync("cont", null, CommandTimeout, ct).ConfigureAwait(false);
                destination._state = VmState.Running;
            }
        }
        catch
        {
            await destination.KillAsync().ConfigureAwait(false);
            throw;
        }
        await StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
        lock (_gate) _ownsMacs = false;
        lock (destination._gate) destination._ownsMacs = true;
        return destination;
    }

    private static long Long(JsonNode? n) => n is JsonValue v && v.TryGetValue<long>(out var l) ? l : 0;

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync().ConfigureAwait(false);
        lock (_gate)
        {
            if (_ownsMacs) foreach (var mac in _nicMacs.Values) MacPool.Value.Release(mac);
            _nicMacs.Clear();
        }
    }

    private VirtParams ParamsWithMacs()
    {
        lock (_gate)
        {
            if (_nicMacs.Count == 0 && _ownsMacs)
            {
                foreach (var nic in _params.Objects("nics"))
                {
                    if (_params.ObjectParams(nic).Get("mac") is not { Length: > 0 }) _nicMacs[nic] = MacPool.Value.Allocate();
                }
            }
            if (_nicMacs.Count == 0) return _params;
            var withMacs = _params.Clone();
            foreach (var (nic, mac) in _nicMacs) withMacs["mac_" + nic] = mac;
            return withMacs;
        }
    }
}
