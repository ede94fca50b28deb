using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using VirtTest.Core.Config;
using VirtTest.Core.Monitor;

namespace VirtTest.Core.Vm;

/// <summary>
/// A VM as test code sees it, whatever its hypervisor: life cycle, the typed monitor
/// operations and the console log. Every operation first checks the VM's state and
/// capabilities, so an unsupported operation is a <see cref="NotSupportedByBackendException"/>
/// and an operation on a dead VM a <see cref="VmStateException"/>, never a silent no-op.
/// </summary>
public sealed class VirtualMachine : IAsyncDisposable
{
    private IVmDriver _driver;

    private VirtualMachine(string name, IVmBackend backend, IVmDriver driver)
    {
        Name = name;
        Backend = backend;
        _driver = driver;
    }

    /// <summary>
    /// Creates (does not start) the VM <paramref name="vmName"/> of a test's params, or the
    /// main one (<c>main_vm</c>, else the first of <c>vms</c>). Its own params are the
    /// test's params with that VM's suffixed keys folded in.
    /// </summary>
    public static VirtualMachine FromParams(VirtParams testParams, string? vmName = null)
    {
        ArgumentNullException.ThrowIfNull(testParams);
        vmName ??= MainVmName(testParams);
        var vmParams = testParams.ObjectParams(vmName);
        var backend = BackendRegistry.ForParams(vmParams, vmName);
        RequireNetworkCapabilities(backend, vmName, vmParams);
        return new VirtualMachine(vmName, backend, backend.CreateDriver(vmName, vmParams));
    }

    /// <summary>A NIC the backend cannot set up (a bridge, a libvirt network, several queues) is refused here, not dropped.</summary>
    private static void RequireNetworkCapabilities(IVmBackend backend, string vmName, VirtParams vmParams)
    {
        var caps = backend.GetCapabilities(vmParams);
        foreach (var nic in new VmParamsReader(vmName, vmParams).Nics)
        {
            var need = nic.NetType switch { "bridge" => VmCapability.BridgeNetwork, "network" => VmCapability.LibvirtNetwork, _ => VmCapability.None };
            if (nic.Params.Get("queues") is { Length: > 0 } q && q != "1") need |= VmCapability.MultiQueueNic;
            var missing = need & ~caps;
            if (missing != VmCapability.None)
                throw new NotSupportedByBackendException(backend.Name, missing, $"VM '{vmName}' NIC {nic.Name} (nettype = {nic.NetType}{(need.HasFlag(VmCapability.MultiQueueNic) ? ", queues = " + nic.Params.Get("queues") : "")})");
        }
    }

    /// <summary>The names of the VMs a test's params describe (<c>vms</c>), main VM first.</summary>
    public static IReadOnlyList<string> VmNames(VirtParams testParams)
    {
        var names = testParams.Objects("vms").ToList();
        if (names.Count == 0) names.Add(MainVmName(testParams));
        return names;
    }

    private static string MainVmName(VirtParams p) =>
        p.Get("main_vm") is { Length: > 0 } main ? main : p.Objects("vms").FirstOrDefault() ?? "vm1";

    public string Name { get; }
    /// <summary>This VM's params (object params of its test; after a migration with storage, naming the disks' new files).</summary>
    public VirtParams Params => _driver.Params;
    public IVmBackend Backend { get; }
    public string BackendName => Backend.Name;
    public VmState State => _driver.State;
    public string? DeathReason => _driver.DeathReason;
    public VmCapability Capabilities => _driver.Capabilities;
    /// <summary>Memory in MiB (param <c>mem</c>, else <see cref="VmDefaults.MemoryMB"/>).</summary>
    public int MemoryMB => new VmParamsReader(Name, Params).MemoryMB;

    /// <summary>Virtual CPUs (param <c>smp</c>, else <see cref="VmDefaults.Cpus"/>).</summary>
    public int Cpu => new VmParamsReader(Name, Params).Cpus;
    public int? ProcessId => _driver.ProcessId;
    /// <summary>
    /// An optional ability of this VM's driver (e.g. <c>Network.IGuestAddressProvider</c>), or null:
    /// lets Core features use what one backend offers without naming backend types.
    /// </summary>
    public T? Feature<T>() where T : class => _driver as T;

    /// <summary>The NICs (<c>nics</c>) with the MAC address of each: its <c>mac</c> param or one assigned from the host-wide pool.</summary>
    public IReadOnlyList<VmNic> Nics => _driver.Nics;
    public string? SerialConsolePath => _driver.SerialConsolePath;
    public string? ConsoleLogPath => _driver.ConsoleLogPath;

    /// <summary>Opens a stream to the guest's serial console; the caller owns it (sessions use this).</summary>
    public Task<Stream> OpenSerialConsoleAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        Require(VmCapability.SerialConsole);
        EnsureLive("open the serial console of");
        return _driver.OpenSerialConsoleAsync(timeout, ct);
    }

    /// <summary>Where the host reaches a guest TCP port (e.g. 22 for SSH), or null when it cannot.</summary>
    public (string Host, int Port)? GetGuestPortEndpoint(int guestPort) =>
        _driver.GuestPortEndpoints.TryGetValue(guestPort, out var endpoint) ? endpoint : null;
    /// <summary>How many times the VM moved to a new hypervisor instance by live migration.</summary>
    public int MigrationCount { get; private set; }

    /// <summary>The monitor, for code that needs the escape hatch; prefer the typed methods here.</summary>
    public IVmMonitor Monitor { get { EnsureLive("use the monitor of"); return _driver.Monitor; } }

    public bool Supports(VmCapability capability) => (Capabilities & capability) == capability;

    public async Task StartAsync(bool paused = false, CancellationToken ct = default)
    {
        if (State is VmState.Running or VmState.Paused or VmState.Starting)
            throw new VmStateException(Name, State, "start");
        await _driver.StartAsync(paused, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts the VM and, as <paramref name="options"/> say, waits until the guest prints its
    /// ready pattern on the serial console. A boot that does not get there in time (or is
    /// cancelled) is killed, so nothing is left running. Progress messages go to <paramref name="progress"/>.
    /// </summary>
    public async Task StartAsync(VmStartOptions options, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var read = new VmParamsReader(Name, Params);
        var pattern = options.ReadyPattern ?? (options.Wait == ReadyWait.None ? null : read.ReadyPattern);
        if (options.Wait == ReadyWait.Required && pattern is null) throw new NoReadyPatternException(Name);
        Regex? ready = null;
        if (pattern is not null)
        {
            try { ready = new Regex(pattern, RegexOptions.Multiline); }
            catch (ArgumentException ex) { throw new VmParamException(Name, "ready_pattern", pattern, "not a valid regular expression: " + ex.Message); }
        }
        var timeout = options.Timeout ?? read.LoginTimeout;
        progress?.Report($"Starting VM {Name}");
        await StartAsync(options.Paused, ct).ConfigureAwait(false);
        if (ready is null || options.Paused) return;
        progress?.Report($"Waiting for '{pattern}' on the serial console of VM {Name}");
        try
        {
            await WaitForConsoleAsync(ready, timeout, ct).ConfigureAwait(false);
        }
        catch
        {
            await KillAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Waits until the guest prints something matching <paramref name="pattern"/> on its
    /// serial console (read from the console log, so nothing printed before the call is
    /// missed). Fails at once, with the console's last lines, if the VM dies meanwhile.
    /// </summary>
    public Task<Match> WaitForConsoleAsync(Regex pattern, TimeSpan timeout, CancellationToken ct = default) =>
        WaitForConsoleAfterAsync(pattern, 0, timeout, ct);

    /// <summary>The console log's length now: output from here on is what the guest prints next (see <see cref="WaitForConsoleAfterAsync"/>).</summary>
    /// <summary>What the console did besides delivering output (e.g. Xen: attached again after a reboot), or null.</summary>
    public string? ConsoleStatus => _driver.ConsoleStatus;

    public long ConsoleLogLength => ConsoleLogPath is { } log && File.Exists(log) ? new FileInfo(log).Length : 0;

    /// <summary>
    /// <see cref="WaitForConsoleAsync"/> for what the guest prints from byte <paramref name="fromOffset"/>
    /// of the console log on (a <see cref="ConsoleLogLength"/> taken before, e.g., a reboot).
    /// </summary>
    public async Task<Match> WaitForConsoleAfterAsync(Regex pattern, long fromOffset, TimeSpan timeout, CancellationToken ct = default)
    {
        var log = ConsoleLogPath ?? throw new NotSupportedByBackendException(BackendName, VmCapability.SerialConsole, "no console log");
        var deadline = DateTime.UtcNow + timeout;
        var text = new StringBuilder();
        long offset = fromOffset;
        var livenessPoll = _driver.LivenessPollInterval;
        var nextLivenessCheck = DateTime.UtcNow + (livenessPoll ?? TimeSpan.Zero);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (livenessPoll is { } interval && DateTime.UtcNow >= nextLivenessCheck && State is VmState.Running or VmState.Paused)
            {
                // A probe that fails (a slow host) is no verdict on the guest: the wait goes on.
                try { await RefreshStateAsync(ct).ConfigureAwait(false); }
                catch (Exception ex) when (ex is not OperationCanceledException) { }
                nextLivenessCheck = DateTime.UtcNow + interval;
            }
            if (File.Exists(log))
            {
                await using var fs = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                if (fs.Length > offset)
                {
                    fs.Seek(offset, SeekOrigin.Begin);
                    var buffer = new byte[fs.Length - offset];
                    var read = await fs.ReadAsync(buffer, ct).ConfigureAwait(false);
                    offset += read;
                    text.Append(Encoding.UTF8.GetString(buffer, 0, read));
                    var match = pattern.Match(text.ToString());
                    if (match.Success) return match;
                }
            }
            if (State is VmState.Dead or VmState.Stopped)
            {
                throw new VmStateException(Name, State, "wait for console output from",
                    (DeathReason ?? "stopped") + "; last console output: " + Tail(text.ToString()));
            }
            if (DateTime.UtcNow >= deadline)
            {
                var status = _driver.ConsoleStatus is { } console ? $"; {console}" : "";
                throw new VmException(Name, string.Create(CultureInfo.InvariantCulture,
                    $"VM '{Name}': '{pattern}' did not appear on the serial console within {timeout.TotalSeconds:0.#} s (the VM is {State}{status}); last console output: {Tail(text.ToString())}"));
            }
            await Task.Delay(50, ct).ConfigureAwait(false);
        }
    }

    private static string Tail(string s)
    {
        var clean = Regex.Replace(s, @"\x1b\[[0-9;?]*[A-Za-z]|\r", "");
        var lines = clean.Split('\n').Where(l => l.Trim().Length > 0).TakeLast(5);
        var tail = string.Join(" | ", lines);
        return tail.Length == 0 ? "(nothing)" : tail;
    }

    /// <summary>Graceful power-off with a deadline, then by force. Releases everything.</summary>
    public Task StopAsync(TimeSpan gracefulTimeout, CancellationToken ct = default) => _driver.StopAsync(gracefulTimeout, ct);

    public Task KillAsync() => _driver.KillAsync();

    public Task PauseAsync(CancellationToken ct = default)
    {
        Require(VmCapability.Pause);
        EnsureLive("pause");
        return _driver.PauseAsync(ct);
    }

    public Task ResumeAsync(CancellationToken ct = default)
    {
        Require(VmCapability.Pause);
        EnsureLive("resume");
        return _driver.ResumeAsync(ct);
    }

    /// <summary>Asks the hypervisor for the state (a VM that died behind our back becomes Dead here).</summary>
    public Task<VmState> RefreshStateAsync(CancellationToken ct = default) => _driver.QueryStateAsync(ct);

    /// <summary>
    /// Waits until the VM is in one of <paramref name="states"/> (asked of the hypervisor every
    /// 200 ms), e.g. Stopped after the guest powered itself off; returns the state reached.
    /// </summary>
    public async Task<VmState> WaitForStateAsync(IReadOnlyCollection<VmState> states, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(states);
        if (states.Count == 0) throw new ArgumentException("no state to wait for", nameof(states));
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var state = State is VmState.Running or VmState.Paused or VmState.Starting ? await RefreshStateAsync(ct).ConfigureAwait(false) : State;
            if (states.Contains(state)) return state;
            if (DateTime.UtcNow >= deadline)
            {
                throw new VmException(Name, string.Create(CultureInfo.InvariantCulture,
                    $"VM '{Name}' did not become {string.Join(" or ", states)} within {timeout.TotalSeconds:0.#} s: it is {state}")
                    + (state == VmState.Dead && DeathReason is { } why ? $" ({why})." : "."));
            }
            // Stopped and Dead are final until a new start: no point asking again.
            if (state is VmState.Stopped or VmState.Dead or VmState.Created)
                throw new VmStateException(Name, state, "wait for " + string.Join(" or ", states) + " of", DeathReason);
            await Task.Delay(200, ct).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<PciDevice>> GetPciDevicesAsync(CancellationToken ct = default)
    {
        Require(VmCapability.PciInfo);
        EnsureLive("list the PCI devices of");
        var devices = await _driver.Monitor.GetPciDevicesAsync(ct).ConfigureAwait(false);
        return devices.Select(d => d with { VmName = Name }).ToList();
    }

    public async Task<PciDevice> AddPciDeviceAsync(PciDeviceSpec spec, TimeSpan timeout, CancellationToken ct = default)
    {
        Require(spec.IsPassthrough ? VmCapability.PciPassthrough : VmCapability.PciHotplug);
        EnsureLive("add a PCI device to");
        var device = await _driver.Monitor.AddPciDeviceAsync(spec, timeout, ct).ConfigureAwait(false);
        return device with { VmName = Name };
    }

    public Task RemovePciDeviceAsync(string id, TimeSpan timeout, CancellationToken ct = default)
    {
        // Either kind of device can be removed by its id.
        if (!Supports(VmCapability.PciHotplug)) Require(VmCapability.PciPassthrough);
        EnsureLive("remove a PCI device from");
        return _driver.Monitor.RemovePciDeviceAsync(id, timeout, ct);
    }

    public Task SaveScreenshotAsync(string pngPath, CancellationToken ct = default)
    {
        Require(VmCapability.Screendump);
        EnsureLive("take a screenshot of");
        return _driver.Monitor.SaveScreenshotAsync(pngPath, ct);
    }

    public Task SendKeysAsync(IReadOnlyList<string> keys, CancellationToken ct = default)
    {
        Require(VmCapability.SendKey);
        EnsureLive("send keys to");
        return _driver.Monitor.SendKeysAsync(keys, ct);
    }

    public Task MoveMouseAsync(int dx, int dy, CancellationToken ct = default)
    {
        Require(VmCapability.Mouse);
        EnsureLive("move the mouse of");
        return _driver.Monitor.MoveMouseAsync(dx, dy, ct);
    }

    public Task SystemResetAsync(CancellationToken ct = default)
    {
        Require(VmCapability.Reset);
        EnsureLive("reset");
        return _driver.Monitor.SystemResetAsync(ct);
    }

    public Task SystemPowerdownAsync(CancellationToken ct = default)
    {
        Require(VmCapability.Powerdown);
        EnsureLive("power down");
        return _driver.Monitor.SystemPowerdownAsync(ct);
    }

    // ---- disks and block jobs

    /// <summary>The VM's disks as the hypervisor lists them.</summary>
    public async Task<IReadOnlyList<BlockDevice>> GetBlockDevicesAsync(CancellationToken ct = default)
    {
        Require(VmCapability.BlockInfo);
        EnsureLive("list the disks of");
        var devices = await _driver.Monitor.Disks.GetBlockDevicesAsync(ct).ConfigureAwait(false);
        return devices.Select(d => d with { VmName = Name }).ToList();
    }

    /// <summary>The VM's CD-ROM drives (<c>cdroms</c>) with their media.</summary>
    public async Task<IReadOnlyList<CdromDrive>> GetCdromsAsync(CancellationToken ct = default)
    {
        Require(VmCapability.CdromChange);
        EnsureLive("list the CD-ROM drives of");
        var drives = await _driver.Monitor.GetCdromsAsync(ct).ConfigureAwait(false);
        return drives.Select(d => d with { VmName = Name }).ToList();
    }

    /// <summary>Puts an ISO into a CD-ROM drive, or ejects its medium (<paramref name="isoPath"/> null); returns the drive afterwards.</summary>
    public async Task<CdromDrive> ChangeCdromAsync(string id, string? isoPath, CancellationToken ct = default)
    {
        Require(VmCapability.CdromChange);
        EnsureLive(isoPath is null ? "eject a CD-ROM of" : "change a CD-ROM of");
        var drive = await _driver.Monitor.ChangeCdromAsync(id, isoPath, ct).ConfigureAwait(false);
        return drive with { VmName = Name };
    }

    /// <summary>Hot-plugs a disk image; returns once the hypervisor lists it.</summary>
    public async Task<BlockDevice> AddDiskAsync(DiskSpec spec, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Require(VmCapability.DiskHotplug);
        EnsureLive("add a disk to");
        var device = await _driver.Monitor.Disks.AddDiskAsync(spec, timeout, ct).ConfigureAwait(false);
        return device with { VmName = Name };
    }

    /// <summary>Unplugs a disk; returns once the guest released it.</summary>
    public Task RemoveDiskAsync(string id, TimeSpan timeout, CancellationToken ct = default)
    {
        Require(VmCapability.DiskHotplug);
        EnsureLive("remove a disk from");
        return _driver.Monitor.Disks.RemoveDiskAsync(id, timeout, ct);
    }

    /// <summary>Live external snapshot: the disk continues on a new overlay file.</summary>
    public async Task<BlockDevice> SnapshotDiskAsync(DiskSnapshotSpec spec, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Require(VmCapability.LiveSnapshot);
        EnsureLive("take a disk snapshot of");
        var device = await _driver.Monitor.Disks.SnapshotDiskAsync(spec, ct).ConfigureAwait(false);
        return device with { VmName = Name };
    }

    public async Task<BlockJob> StartBlockJobAsync(BlockJobSpec spec, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Require(VmCapability.BlockJobs);
        EnsureLive("start a block job on");
        var job = await _driver.Monitor.Disks.StartBlockJobAsync(spec, ct).ConfigureAwait(false);
        return job with { VmName = Name };
    }

    public async Task<IReadOnlyList<BlockJob>> GetBlockJobsAsync(CancellationToken ct = default)
    {
        Require(VmCapability.BlockJobs);
        EnsureLive("list the block jobs of");
        var jobs = await _driver.Monitor.Disks.GetBlockJobsAsync(ct).ConfigureAwait(false);
        return jobs.Select(j => j with { VmName = Name }).ToList();
    }

    /// <summary>Waits until the job ended (or is ready, with <paramref name="untilReady"/>); a failed job is a <see cref="BlockJobFailedException"/>.</summary>
    public async Task<BlockJob> WaitForBlockJobAsync(string jobId, bool untilReady, IProgress<BlockJob>? progress, TimeSpan timeout, CancellationToken ct = default)
    {
        Require(VmCapability.BlockJobs);
        EnsureLive("wait for a block job of");
        var job = await _driver.Monitor.Disks.WaitForBlockJobAsync(jobId, untilReady, Named(progress), timeout, ct).ConfigureAwait(false);
        return job with { VmName = Name };
    }

    public Task CompleteBlockJobAsync(string jobId, TimeSpan timeout, CancellationToken ct = default)
    {
        Require(VmCapability.BlockJobs);
        EnsureLive("complete a block job of");
        return _driver.Monitor.Disks.CompleteBlockJobAsync(jobId, timeout, ct);
    }

    public Task CancelBlockJobAsync(string jobId, TimeSpan timeout, CancellationToken ct = default)
    {
        Require(VmCapability.BlockJobs);
        EnsureLive("cancel a block job of");
        return _driver.Monitor.Disks.CancelBlockJobAsync(jobId, timeout, ct);
    }

    /// <summary>
    /// Runs a block job through: starts it, reports its progress, and when it becomes ready (a
    /// mirror, an active commit) does what <paramref name="whenReady"/> says. Returns its last
    /// state; a job that fails is a <see cref="BlockJobFailedException"/>, one that does not get
    /// there within <paramref name="timeout"/> is cancelled and a timeout error.
    /// </summary>
    public async Task<BlockJob> RunBlockJobAsync(BlockJobSpec spec, ReadyAction whenReady, IProgress<BlockJob>? progress, TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        var job = await StartBlockJobAsync(spec, ct).ConfigureAwait(false);
        try
        {
            job = await WaitForBlockJobAsync(job.Id, untilReady: true, progress, Left(deadline), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is MonitorTimeoutException or OperationCanceledException)
        {
            // Nothing left running behind a caller that gave up.
            try { await CancelBlockJobAsync(job.Id, TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false); }
            catch (VirtTestException) { /* the job may have ended meanwhile */ }
            throw;
        }
        if (!job.Ready || job.Status == "concluded" || whenReady == ReadyAction.Return) return job;
        if (whenReady == ReadyAction.Complete) await CompleteBlockJobAsync(job.Id, Left(deadline), ct).ConfigureAwait(false);
        else await CancelBlockJobAsync(job.Id, Left(deadline), ct).ConfigureAwait(false);
        var done = job with { Status = "concluded", Ready = false, Offset = job.Length };
        progress?.Report(done);
        return done;
    }

    private static TimeSpan Left(DateTime deadline)
    {
        var left = deadline - DateTime.UtcNow;
        return left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1);
    }

    private IProgress<BlockJob>? Named(IProgress<BlockJob>? progress) => progress is null ? null : new NamedJobProgress(progress, Name);

    /// <summary>Passes reports on at once, on the reporting thread, with the VM's name (Progress&lt;T&gt; would post them out of order).</summary>
    private sealed class NamedJobProgress(IProgress<BlockJob> inner, string vmName) : IProgress<BlockJob>
    {
        public void Report(BlockJob value) => inner.Report(value with { VmName = vmName });
    }

    public Task<MonitorEvent> WaitForEventAsync(string name, Func<MonitorEvent, bool>? predicate, long afterSequence, TimeSpan timeout, CancellationToken ct = default)
    {
        Require(VmCapability.Events);
        return _driver.Monitor.WaitForEventAsync(name, predicate, afterSequence, timeout, ct);
    }

    public Task<JsonNode?> InvokeMonitorAsync(string command, JsonObject? arguments, TimeSpan timeout, CancellationToken ct = default)
    {
        Require(VmCapability.RawMonitor);
        EnsureLive("send a monitor command to");
        return _driver.Monitor.InvokeRawAsync(command, arguments, timeout, ct);
    }

    private IReadOnlyList<string>? _monitorCommands;

    /// <summary>The raw monitor's command names (asked once per VM, then cached: they depend on the hypervisor binary).</summary>
    public async Task<IReadOnlyList<string>> GetMonitorCommandsAsync(CancellationToken ct = default)
    {
        if (_monitorCommands is { } cached) return cached;
        Require(VmCapability.RawMonitor);
        EnsureLive("list the monitor commands of");
        return _monitorCommands = await _driver.Monitor.ListRawCommandsAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The monitor command names if they were asked for before, else null (never waits: for Tab completion).</summary>
    public IReadOnlyList<string>? CachedMonitorCommands => _monitorCommands;

    /// <summary>The device models <see cref="AddPciDeviceAsync"/> can add on this VM's backend (from the backend's probe).</summary>
    public IReadOnlyList<string> DeviceModels => Backend.GetDeviceModels(Params);

    public Task<string> InvokeHumanMonitorAsync(string commandLine, TimeSpan timeout, CancellationToken ct = default)
    {
        Require(VmCapability.RawMonitor);
        EnsureLive("send a monitor command to");
        return _driver.Monitor.InvokeHumanAsync(commandLine, timeout, ct);
    }

    /// <summary>Live-migrates the VM; afterwards this object stands for the destination.</summary>
    public async Task MigrateAsync(MigrationOptions options, IProgress<MigrationProgress>? progress = null, CancellationToken ct = default)
    {
        Require(VmCapability.Migration);
        if (options.CopyStorage) Require(VmCapability.MigrationWithDiskCopy);
        EnsureLive("migrate");
        var destination = await _driver.MigrateAsync(options, progress, ct).ConfigureAwait(false);
        var source = _driver;
        _driver = destination;
        MigrationCount++;
        await source.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Starts the VM paused as the destination of a migration from another host, waiting for
    /// the stream at <paramref name="uri"/> (<c>tcp:address:port</c>).
    /// </summary>
    public Task StartIncomingMigrationAsync(string uri, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        Require(VmCapability.MigrationToHost);
        return _driver.StartIncomingMigrationAsync(uri, ct);
    }

    /// <summary>Waits until an incoming migration has been received, then lets the guest run.</summary>
    public async Task CompleteIncomingMigrationAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        Require(VmCapability.MigrationToHost);
        EnsureLive("complete the incoming migration of");
        await _driver.CompleteIncomingMigrationAsync(timeout, ct).ConfigureAwait(false);
        MigrationCount++;
    }

    /// <summary>
    /// Sends the VM to a destination waiting at <paramref name="uri"/> on another host; once the
    /// stream is complete this VM is paused there and the caller stops it (<see cref="KillAsync"/>).
    /// </summary>
    public Task SendMigrationAsync(string uri, TimeSpan timeout, IProgress<MigrationProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        Require(VmCapability.MigrationToHost);
        EnsureLive("migrate");
        return _driver.SendMigrationAsync(uri, timeout, progress, ct);
    }

    private void Require(VmCapability capability)
    {
        if (!Supports(capability)) throw new NotSupportedByBackendException(BackendName, capability);
    }

    private void EnsureLive(string operation)
    {
        var state = State;
        if (state is not (VmState.Running or VmState.Paused))
            throw new VmStateException(Name, state, operation, state == VmState.Dead ? DeathReason : null);
    }

    public override string ToString() => $"{Name} ({BackendName}, {State})";

    public async ValueTask DisposeAsync()
    {
        await _driver.KillAsync().ConfigureAwait(false);
        await _driver.DisposeAsync().ConfigureAwait(false);
    }
}
