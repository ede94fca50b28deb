using VirtTest.Core.Config;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// One Xen domain driven through xl (on this machine or a Xen host over SSH): its config file
/// and boot files live in a folder on the Xen host (the VM's runtime directory when xl runs
/// here), its console log in the runtime directory; the domain gets a unique name
/// (<c>vt-&lt;vm&gt;-&lt;id&gt;</c>) so parallel tests never collide, and it is destroyed however
/// the VM ends. State comes from <c>xl list</c>; the
/// life cycle itself is <see cref="VmDriverBase"/>'s.
/// </summary>
internal sealed class XenVmDriver : VmDriverBase
{
    private static readonly TimeSpan CreateTimeout = TimeSpan.FromSeconds(120);

    private readonly XenGuestType _type;
    private readonly XlToolstack _xl;
    private readonly string _hostPciSysfs;
    private XlRunnerLease? _lease;
    private RuntimeDirectory? _runtime;
    private IXenHostFolder? _folder;
    private ConsoleTee? _console;
    private string? _consoleLogPath;
    /// <summary>A domain exists (or may exist) under <see cref="DomainName"/> that this driver owns.</summary>
    private bool _ownsDomain;
    /// <summary>When a state query first found the domain absent (null while it is listed).</summary>
    private DateTime? _absentSince;
    /// <summary>When a state query first saw the domain restarting (shut down to come back, or absent); null once it runs again.</summary>
    private DateTime? _restartSeenAt;
    private NicMacAddresses _macs = new();

    /// <summary>The NICs with their MACs (pool addresses are assigned on first use and kept until the VM is disposed).</summary>
    public override IReadOnlyList<VmNic> Nics => new VmParamsReader(VmName, _macs.Apply(Params)).Nics;

    public XenVmDriver(string name, VirtParams vmParams, XenGuestType type, VmCapability capabilities, XlRunnerLease lease, string hostPciSysfs)
        : base(name, vmParams, capabilities)
    {
        _type = type;
        _lease = lease;
        _xl = new XlToolstack(lease.Runner);
        _hostPciSysfs = hostPciSysfs;
        DomainName = NewDomainName(name);
    }

    /// <summary>The destination of a migration: the same domain (its files, its host connection), now owned by a new driver.</summary>
    private XenVmDriver(XenVmDriver source, VmState state, ConsoleTee? console)
        : this(source.VmName, source.Params, source._type, source.Capabilities, source._lease!, source._hostPciSysfs)
    {
        DomainName = source.DomainName;
        ConfigPath = source.ConfigPath;
        _runtime = source._runtime;
        _folder = source._folder;
        _ownsDomain = true;
        _macs = source._macs;
        CurrentMonitor = new XenMonitor(_xl, DomainName, _type, _hostPciSysfs);
        _consoleLogPath = source._consoleLogPath;
        _console = console;
        SetState(state);
    }

    /// <summary>The Xen domain's name.</summary>
    public string DomainName { get; }
    /// <summary>The config file of the current (or last) start, as the Xen host sees it.</summary>
    public string? ConfigPath { get; private set; }

    /// <summary>Everything the guest printed on its console since the domain was created (in the runtime directory).</summary>
    public override string? ConsoleLogPath => _consoleLogPath;
    protected override string BackendName => "xen";
    /// <summary>xl has no event for a domain that crashed or powered off: waits ask <c>xl list</c> now and then.</summary>
    public override TimeSpan? LivenessPollInterval => TimeSpan.FromSeconds(5);

    protected override bool HasInstance => _ownsDomain;

    private static string NewDomainName(string vmName)
    {
        var safe = new string(vmName.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_').Take(24).ToArray());
        return $"vt-{safe}-{Guid.NewGuid().ToString("N")[..8]}";
    }

    public override Task<Stream> OpenSerialConsoleAsync(TimeSpan timeout, CancellationToken ct)
    {
        RequireLive("open the serial console of");
        var console = _console ?? throw new VmStateException(VmName, State, "open the serial console of");
        return Task.FromResult(console.Subscribe());
    }

    /// <summary>HVM: the emulated serial port (serial = [ "pty" ]); PV and PVH: the PV console.</summary>
    private string[] ConsoleCommand() => new[] { "console", "-t", _type == XenGuestType.Hvm ? "serial" : "pv", DomainName };

    /// <summary>The domain's console into <paramref name="logPath"/>, attached again whenever it ends while the domain exists (a reboot gives the domain a new id).</summary>
    private async Task<ConsoleTee> AttachConsoleAsync(string logPath, CancellationToken ct) =>
        ConsoleTee.Start(await _xl.Runner.OpenTerminalAsync(ConsoleCommand(), ct).ConfigureAwait(false), logPath,
            attach: c => _xl.Runner.OpenTerminalAsync(ConsoleCommand(), c),
            domainExists: async c => (await _xl.RunOnDomainAsync(new[] { "list", DomainName }, c).ConfigureAwait(false)).Exists,
            reattachWindow: RestartWindow);

    /// <summary>
    /// How long a domain may be away while xl builds it again after a reboot: the console keeps
    /// trying to attach, and state queries report it alive (tests shorten it).
    /// </summary>
    internal TimeSpan RestartWindow { get; set; } = ConsoleTee.DefaultReattachWindow;

    /// <summary>What the console did besides delivering output (attached again after reboots, or ended), for messages about a quiet guest.</summary>
    public override string? ConsoleStatus => _console switch
    {
        null => null,
        { EndReason: { } reason } c => $"xl console: {reason}" + (c.Reattachments > 0 ? $" (after {c.Reattachments} reattachment(s))" : ""),
        { Reattachments: > 0 } c => $"xl console was attached again {c.Reattachments} time(s): the domain rebooted (on_reboot=restart) or its console ended",
        _ => null,
    };

    protected override async Task StartCoreAsync(bool paused, CancellationToken ct)
    {
        _runtime = RuntimeDirectory.Create(VmName);
        ConfigPath = _runtime.File("domain.cfg");
        var vmParams = _macs.Apply(Params);
        var localFiles = XenDomainConfig.LocalFiles(VmName, vmParams);
        _folder = await _xl.Runner.CreateFolderAsync(DomainName, _runtime.Path, ct).ConfigureAwait(false);
        var hostFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (param, path) in localFiles) hostFiles[param] = await _folder.CopyFileAsync(path, param, ct).ConfigureAwait(false);
        ConfigPath = await _folder.WriteTextAsync("domain.cfg", XenDomainConfig.Render(VmName, DomainName, vmParams, hostFiles), ct).ConfigureAwait(false);
        _ownsDomain = true;
        // Created paused (-p), like QEMU's -S: the console is attached before the guest runs.
        // -f rather than the positional file: xl reads a first argument with '=' in it as a setting.
        await _xl.RunAsync(new[] { "create", "-p", "-f", ConfigPath }, ct, CreateTimeout).ConfigureAwait(false);
        CurrentMonitor = new XenMonitor(_xl, DomainName, _type, _hostPciSysfs);
        // One xl console for the domain's life, attached before the guest runs: the log misses nothing.
        _consoleLogPath = _runtime.File("console.log");
        _console = await AttachConsoleAsync(_consoleLogPath, ct).ConfigureAwait(false);
        if (!paused) await _xl.RunAsync(new[] { "unpause", DomainName }, ct).ConfigureAwait(false);
    }

    protected override async Task<bool> PowerOffCoreAsync(TimeSpan timeout, CancellationToken ct)
    {
        // -w: wait until the domain is gone; -F (HVM): ACPI power button when the guest has no PV drivers.
        var args = _type == XenGuestType.Hvm ? new[] { "shutdown", "-w", "-F", DomainName } : new[] { "shutdown", "-w", DomainName };
        var result = await _xl.Runner.RunAsync(args, timeout, ct).ConfigureAwait(false);
        var gone = result.ExitCode == 0 || XlToolstack.IsNoSuchDomain(result.Stderr);
        if (gone) _ownsDomain = false;
        return gone;
    }

    protected override async Task ForceEndAsync()
    {
        if (!_ownsDomain) return;
        _ownsDomain = false;
        await _xl.RunOnDomainAsync(new[] { "destroy", DomainName }, CancellationToken.None).ConfigureAwait(false);
    }

    protected override async ValueTask ReleaseAsync()
    {
        CurrentMonitor = null;
        var console = _console;
        _console = null;
        if (console is not null) await console.DisposeAsync().ConfigureAwait(false);
        var folder = _folder;
        _folder = null;
        if (folder is not null) await folder.DisposeAsync().ConfigureAwait(false);
        var runtime = _runtime;
        _runtime = null;
        runtime?.Dispose();
    }

    protected override Task PauseCoreAsync(CancellationToken ct) => _xl.RunAsync(new[] { "pause", DomainName }, ct);

    protected override Task ResumeCoreAsync(CancellationToken ct) => _xl.RunAsync(new[] { "unpause", DomainName }, ct);

    protected override async Task<VmState> QueryCoreAsync(CancellationToken ct)
    {
        if (!_ownsDomain) return State;
        var (exists, output) = await _xl.RunOnDomainAsync(new[] { "list", DomainName }, ct).ConfigureAwait(false);
        var flags = exists ? XlOutput.StateFlags(output, DomainName) : null;
        if (flags is null)
        {
            // xl destroys a rebooting domain before it builds it again: absent for a moment is not gone.
            var now = DateTime.UtcNow;
            _absentSince ??= now;
            if (XlDomainState.DomainComesBack(ActionAfter(XlShutdownReason.Reboot)!) && now - _absentSince.Value < RestartWindow)
            {
                _restartSeenAt ??= now;
                return State;
            }
            await MarkDeadAsync(() => $"Xen domain {DomainName}: the domain no longer exists (it crashed or powered off and xl destroyed it (on_crash, on_poweroff), or it was destroyed outside the framework; see xl dmesg on the host)").ConfigureAwait(false);
            return State;
        }
        _absentSince = null;
        var state = XlDomainState.Parse(flags);
        if (state.Shutdown)
        {
            var setting = XlDomainState.ActionSetting(state.Reason);
            var action = ActionAfter(state.Reason);
            // A reboot (also a triple fault) with on_reboot=restart: xl builds the domain again under its name.
            if (action is not null && XlDomainState.DomainComesBack(action))
            {
                _restartSeenAt ??= DateTime.UtcNow;
                return State;
            }
            var reason = $"Xen domain {DomainName}: {XlDomainState.Describe(state.Reason)} ({(setting is null ? "" : setting + "=" + action + "; ")}xl list state {flags})";
            if (state.Reason == XlShutdownReason.PowerOff) await MarkGuestPoweredOffAsync(() => reason).ConfigureAwait(false);
            else await MarkDeadAsync(() => reason).ConfigureAwait(false);
            return State;
        }
        if (state.Dying)
        {
            await MarkDeadAsync(() => $"Xen domain {DomainName}: the domain is being destroyed (xl list state {flags})").ConfigureAwait(false);
            return State;
        }
        // xl builds the new domain of a restart paused and unpauses it when it is built (as long as a create may take).
        if (state.Paused && _restartSeenAt is { } restarted && DateTime.UtcNow - restarted < CreateTimeout) return State;
        _restartSeenAt = null;
        return state.Paused ? VmState.Paused : VmState.Running;
    }

    /// <summary>What xl does after a shutdown for <paramref name="reason"/>: the domain config's setting (from params) or xl's default; null when no setting applies.</summary>
    private string? ActionAfter(XlShutdownReason reason)
    {
        if (XlDomainState.ActionSetting(reason) is not { } setting) return null;
        return XenDomainConfig.WrittenActions.Contains(setting) && Params.Get(setting) is { Length: > 0 } value ? value : XlDomainState.DefaultAction(reason);
    }

    public override async Task<IVmDriver> MigrateAsync(MigrationOptions options, IProgress<MigrationProgress>? progress, CancellationToken ct)
    {
        RequireLive("migrate");
        if (options.Protocol is not ("unix" or "ssh"))
            throw new ArgumentException($"Migration protocol '{options.Protocol}' is not available on Xen: 'xl migrate' always sends the domain over its ssh transport (valid: ssh, or the default unix meaning this host).");
        var wasPaused = State == VmState.Paused;
        progress?.Report(new MigrationProgress("active", 0, 0, 0));
        // Same-host migration: xl renames the source while the copy arrives, then destroys it.
        _console?.StopFollowing();
        var args = new List<string> { "migrate" };
        if (wasPaused) args.Add("-p");
        args.Add(DomainName);
        args.Add("localhost");
        try
        {
            await _xl.RunAsync(args, ct, options.Timeout).ConfigureAwait(false);
        }
        catch
        {
            _console?.Follow();
            throw;
        }
        progress?.Report(new MigrationProgress("completed", 0, 0, 0));
        // The source domain (and its console) are gone; the destination attaches a new console to the same log.
        var console = _console;
        _console = null;
        if (console is not null) await console.DisposeAsync().ConfigureAwait(false);
        var newConsole = _consoleLogPath is null ? null : await AttachConsoleAsync(_consoleLogPath, ct).ConfigureAwait(false);
        var destination = new XenVmDriver(this, wasPaused ? VmState.Paused : VmState.Running, newConsole);
        // The domain, its files, the runtime directory and the host connection now belong to the destination.
        _ownsDomain = false;
        _runtime = null;
        _folder = null;
        _lease = null;
        CurrentMonitor = null;
        SetState(VmState.Stopped);
        // The same guest keeps its MACs: the destination returns them to the pool.
        _macs = new NicMacAddresses();
        return destination;
    }

    protected override ValueTask DisposeCoreAsync()
    {
        _macs.Release();
        Interlocked.Exchange(ref _lease, null)?.Dispose();
        return ValueTask.CompletedTask;
    }
}
