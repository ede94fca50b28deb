using VirtTest.Core.Config;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// One Xen domain driven through xl (on this machine or a Xen host over SSH): its config file
/// and boot files live in a folder on the Xen host (the VM's runtime directory when xl runs
/// here), its console log in the runtime directory; the domain gets a unique name
/// (<c>vt-&lt;vm&gt;-&lt;id&gt;</c>) so parallel tests never collide, and it is destroyed however
/// the VM ends. State comes from <c>xl list</c>.
/// </summary>
internal sealed class XenVmDriver : IVmDriver
{
    private static readonly TimeSpan CreateTimeout = TimeSpan.FromSeconds(120);

    private readonly string _name;
    private readonly VirtParams _params;
    private readonly XenGuestType _type;
    private readonly XlToolstack _xl;
    private readonly string _hostPciSysfs;
    private XlRunnerLease? _lease;
    private RuntimeDirectory? _runtime;
    private IXenHostFolder? _folder;
    private XenMonitor? _monitor;
    private ConsoleTee? _console;
    private string? _consoleLogPath;
    private volatile VmState _state = VmState.Created;
    private string? _deathReason;
    /// <summary>A domain exists (or may exist) under <see cref="DomainName"/> that this driver owns.</summary>
    private bool _ownsDomain;

    public XenVmDriver(string name, VirtParams vmParams, XenGuestType type, VmCapability capabilities, XlRunnerLease lease, string hostPciSysfs)
    {
        _name = name;
        _params = vmParams;
        _type = type;
        _lease = lease;
        _xl = new XlToolstack(lease.Runner);
        _hostPciSysfs = hostPciSysfs;
        Capabilities = capabilities;
        DomainName = NewDomainName(name);
    }

    /// <summary>The destination of a migration: the same domain (its files, its host connection), now owned by a new driver.</summary>
    private XenVmDriver(XenVmDriver source, VmState state, ConsoleTee? console)
        : this(source._name, source._params, source._type, source.Capabilities, source._lease!, source._hostPciSysfs)
    {
        DomainName = source.DomainName;
        ConfigPath = source.ConfigPath;
        _runtime = source._runtime;
        _folder = source._folder;
        _ownsDomain = true;
        _monitor = new XenMonitor(_xl, DomainName, _type, _hostPciSysfs);
        _consoleLogPath = source._consoleLogPath;
        _console = console;
        _state = state;
    }

    /// <summary>The Xen domain's name.</summary>
    public string DomainName { get; }
    /// <summary>The config file of the current (or last) start, as the Xen host sees it.</summary>
    public string? ConfigPath { get; private set; }

    public VmCapability Capabilities { get; }
    public VmState State => _state;
    public string? DeathReason => _deathReason;
    public IVmMonitor Monitor => _monitor ?? throw new VmStateException(_name, _state, "use the monitor of");
    public string? SerialConsolePath => null;
    /// <summary>Everything the guest printed on its console since the domain was created (in the runtime directory).</summary>
    public string? ConsoleLogPath => _consoleLogPath;
    public IReadOnlyDictionary<int, (string Host, int Port)> GuestPortEndpoints { get; } = new Dictionary<int, (string, int)>();
    public int? ProcessId => null;

    private static string NewDomainName(string vmName)
    {
        var safe = new string(vmName.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_').Take(24).ToArray());
        return $"vt-{safe}-{Guid.NewGuid().ToString("N")[..8]}";
    }

    public Task<Stream> OpenSerialConsoleAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (_state is not (VmState.Running or VmState.Paused) || _console is not { } console)
            throw new VmStateException(_name, _state, "open the serial console of");
        return Task.FromResult(console.Subscribe());
    }

    /// <summary>HVM: the emulated serial port (serial = [ "pty" ]); PV: the PV console.</summary>
    private string[] ConsoleCommand() => new[] { "console", "-t", _type == XenGuestType.Hvm ? "serial" : "pv", DomainName };

    public async Task StartAsync(bool paused, CancellationToken ct)
    {
        if (_state is VmState.Running or VmState.Paused or VmState.Starting) throw new VmStateException(_name, _state, "start");
        _state = VmState.Starting;
        _deathReason = null;
        try
        {
            _runtime = RuntimeDirectory.Create(_name);
            ConfigPath = _runtime.File("domain.cfg");
            var localFiles = XenDomainConfig.LocalFiles(_name, _params);
            _folder = await _xl.Runner.CreateFolderAsync(DomainName, _runtime.Path, ct).ConfigureAwait(false);
            var hostFiles = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (param, path) in localFiles) hostFiles[param] = await _folder.CopyFileAsync(path, param, ct).ConfigureAwait(false);
            ConfigPath = await _folder.WriteTextAsync("domain.cfg", XenDomainConfig.Render(_name, DomainName, _params, hostFiles), ct).ConfigureAwait(false);
            _ownsDomain = true;
            // Created paused (-p), like QEMU's -S: the console is attached before the guest runs.
            // -f rather than the positional file: xl reads a first argument with '=' in it as a setting.
            await _xl.RunAsync(new[] { "create", "-p", "-f", ConfigPath }, ct, CreateTimeout).ConfigureAwait(false);
            _monitor = new XenMonitor(_xl, DomainName, _type, _hostPciSysfs);
            // One xl console for the domain's life, attached before the guest runs: the log misses nothing.
            _consoleLogPath = _runtime.File("console.log");
            _console = ConsoleTee.Start(await _xl.Runner.OpenTerminalAsync(ConsoleCommand(), ct).ConfigureAwait(false), _consoleLogPath);
            if (!paused)
            {
                await _xl.RunAsync(new[] { "unpause", DomainName }, ct).ConfigureAwait(false);
                _state = VmState.Running;
            }
            else
            {
                _state = VmState.Paused;
            }
        }
        catch
        {
            try { await KillAsync().ConfigureAwait(false); }
            catch (XenToolstackException) { /* the start error rethrown below says more */ }
            throw;
        }
    }

    public async Task StopAsync(TimeSpan gracefulTimeout, CancellationToken ct)
    {
        if (!_ownsDomain || _state is VmState.Dead or VmState.Stopped or VmState.Created)
        {
            await ReleaseAsync().ConfigureAwait(false);
            return;
        }
        try
        {
            if (gracefulTimeout > TimeSpan.Zero && await ShutDownAsync(gracefulTimeout, ct).ConfigureAwait(false)) _ownsDomain = false;
        }
        finally
        {
            // Whatever happened (timeout, xl error, Ctrl+C), a domain that is still there is destroyed.
            await KillAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Asks the guest to power off and waits for the domain to go; false when it did not within the timeout.</summary>
    private async Task<bool> ShutDownAsync(TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            if (_state == VmState.Paused) await _xl.RunOnDomainAsync(new[] { "unpause", DomainName }, ct).ConfigureAwait(false);
            // -w: wait until the domain is gone; -F (HVM): ACPI power button when the guest has no PV drivers.
            var args = _type == XenGuestType.Hvm ? new[] { "shutdown", "-w", "-F", DomainName } : new[] { "shutdown", "-w", DomainName };
            var result = await _xl.Runner.RunAsync(args, timeout, ct).ConfigureAwait(false);
            return result.ExitCode == 0 || XlToolstack.IsNoSuchDomain(result.Stderr);
        }
        catch (XenToolstackException ex) when (ex is not XenToolstackNotFoundException)
        {
            return false; // the guest ignored the request within the timeout (xl was killed), or xl refused it
        }
    }

    public async Task KillAsync()
    {
        try
        {
            if (_ownsDomain)
            {
                _ownsDomain = false;
                await _xl.RunOnDomainAsync(new[] { "destroy", DomainName }, CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            if (_state != VmState.Dead) _state = _state == VmState.Created ? VmState.Created : VmState.Stopped;
            await ReleaseAsync().ConfigureAwait(false);
        }
    }

    private async Task ReleaseAsync()
    {
        _monitor = null;
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

    public async Task PauseAsync(CancellationToken ct)
    {
        RequireLive("pause");
        await _xl.RunAsync(new[] { "pause", DomainName }, ct).ConfigureAwait(false);
        _state = VmState.Paused;
    }

    public async Task ResumeAsync(CancellationToken ct)
    {
        RequireLive("resume");
        await _xl.RunAsync(new[] { "unpause", DomainName }, ct).ConfigureAwait(false);
        _state = VmState.Running;
    }

    private void RequireLive(string operation)
    {
        if (_state is not (VmState.Running or VmState.Paused) || !_ownsDomain) throw new VmStateException(_name, _state, operation, _deathReason);
    }

    public async Task<VmState> QueryStateAsync(CancellationToken ct)
    {
        if (_state is not (VmState.Running or VmState.Paused) || !_ownsDomain) return _state;
        var (exists, output) = await _xl.RunOnDomainAsync(new[] { "list", DomainName }, ct).ConfigureAwait(false);
        var flags = exists ? XlOutput.StateFlags(output, DomainName) : null;
        if (flags is null)
        {
            await MarkDeadAsync("the domain no longer exists (it was destroyed or shut down outside the framework)").ConfigureAwait(false);
        }
        else if (XlOutput.EndedBecause(flags) is { } reason)
        {
            await MarkDeadAsync($"{reason} (xl list state {flags})").ConfigureAwait(false);
        }
        else
        {
            _state = flags.Contains('p') ? VmState.Paused : VmState.Running;
        }
        return _state;
    }

    /// <summary>The domain ended without the framework asking: destroy what is left, then report it dead.</summary>
    private async Task MarkDeadAsync(string reason)
    {
        _deathReason = "Xen domain " + DomainName + ": " + reason;
        try { await KillAsync().ConfigureAwait(false); }
        finally { _state = VmState.Dead; }
    }

    public async Task<IVmDriver> MigrateAsync(MigrationOptions options, IProgress<MigrationProgress>? progress, CancellationToken ct)
    {
        RequireLive("migrate");
        if (options.Protocol is not ("unix" or "ssh"))
            throw new ArgumentException($"Migration protocol '{options.Protocol}' is not available on Xen: 'xl migrate' always sends the domain over its ssh transport (valid: ssh, or the default unix meaning this host).");
        var wasPaused = _state == VmState.Paused;
        progress?.Report(new MigrationProgress("active", 0, 0, 0));
        // Same-host migration: xl renames the source while the copy arrives, then destroys it.
        var args = new List<string> { "migrate" };
        if (wasPaused) args.Add("-p");
        args.Add(DomainName);
        args.Add("localhost");
        await _xl.RunAsync(args, ct, options.Timeout).ConfigureAwait(false);
        progress?.Report(new MigrationProgress("completed", 0, 0, 0));
        // The source domain (and its console) are gone; the destination attaches a new console to the same log.
        var console = _console;
        _console = null;
        if (console is not null) await console.DisposeAsync().ConfigureAwait(false);
        var newConsole = _consoleLogPath is null ? null
            : ConsoleTee.Start(await _xl.Runner.OpenTerminalAsync(ConsoleCommand(), ct).ConfigureAwait(false), _consoleLogPath);
        var destination = new XenVmDriver(this, wasPaused ? VmState.Paused : VmState.Running, newConsole);
        // The domain, its files, the runtime directory and the host connection now belong to the destination.
        _ownsDomain = false;
        _runtime = null;
        _folder = null;
        _lease = null;
        _monitor = null;
        _state = VmState.Stopped;
        return destination;
    }

    public async ValueTask DisposeAsync()
    {
        try { await KillAsync().ConfigureAwait(false); }
        finally { Interlocked.Exchange(ref _lease, null)?.Dispose(); }
    }
}
