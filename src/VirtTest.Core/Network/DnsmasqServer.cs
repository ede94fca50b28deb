using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace VirtTest.Core.Network;

/// <summary>How to run one dnsmasq: the interface it serves and its DHCP range.</summary>
/// <param name="Interface">The interface it serves (the bridge).</param>
/// <param name="RangeStart">First address it hands out.</param>
/// <param name="RangeEnd">Last address it hands out.</param>
/// <param name="Netmask">The subnet's mask, given to clients.</param>
/// <param name="Directory">Where its pid, lease and log files go (one dnsmasq per directory).</param>
/// <param name="NetworkNamespace">The namespace it runs in (null: the host's).</param>
public sealed record DnsmasqOptions(string Interface, IPAddress RangeStart, IPAddress RangeEnd, IPAddress Netmask, string Directory, string? NetworkNamespace)
{
    /// <summary>DHCP lease time (dnsmasq's minimum is 2 minutes).</summary>
    public TimeSpan LeaseTime { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>
/// A dnsmasq serving DHCP on one interface (one test network's bridge), in its namespace,
/// with its own pid, lease and log files and no configuration but its command line: no DNS
/// (port 0), no /etc/dnsmasq.conf, no resolv.conf or hosts file. It stays a child process of
/// VirtTest (<c>--keep-in-foreground</c>) and is killed when disposed.
/// </summary>
public sealed class DnsmasqServer : IAsyncDisposable, IDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private int _stopped;

    private DnsmasqServer(DnsmasqOptions options, Process process)
    {
        Options = options;
        _process = process;
    }

    public DnsmasqOptions Options { get; }
    public int ProcessId => _process.Id;
    public string LeaseFile => Path.Combine(Options.Directory, "dnsmasq.leases");
    public string PidFile => Path.Combine(Options.Directory, "dnsmasq.pid");
    public string LogFile => Path.Combine(Options.Directory, "dnsmasq.log");
    public bool IsRunning => _stopped == 0 && !_process.HasExited;

    /// <summary>The command-line arguments of dnsmasq for these options (also shown in diagnostics).</summary>
    public static IReadOnlyList<string> Arguments(DnsmasqOptions o)
    {
        var dir = o.Directory;
        return new[]
        {
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--port=0",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            "--interface=" + o.Interface,
            "--except-interface=lo",
            string.Create(CultureInfo.InvariantCulture, $"--dhcp-range={o.RangeStart},{o.RangeEnd},{o.Netmask},{(long)o.LeaseTime.TotalSeconds}"),
            "--dhcp-authoritative",
            // dnsmasq pings an address before offering it (3 s): quick DHCP clients (busybox
            // udhcpc -t 3 -T 1) give up first. Addresses here are never in use elsewhere.
            "--no-ping",
            "--dhcp-leasefile=" + Path.Combine(dir, "dnsmasq.leases"),
            "--pid-file=" + Path.Combine(dir, "dnsmasq.pid"),
            "--log-facility=" + Path.Combine(dir, "dnsmasq.log"),
            "--log-dhcp",
        };
    }

    /// <summary>Starts dnsmasq and waits until it has written its pid file (its sockets are bound by then).</summary>
    public static async Task<DnsmasqServer> StartAsync(DnsmasqOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        InterfaceName.Validate(options.Interface);
        Directory.CreateDirectory(options.Directory);
        var dnsmasq = NetworkTool.Locate(NetworkTool.Dnsmasq);
        var psi = options.NetworkNamespace is null
            ? new ProcessStartInfo(dnsmasq)
            : new ProcessStartInfo(NetworkTool.Locate(NetworkTool.Ip));
        if (options.NetworkNamespace is not null)
        {
            foreach (var a in NetworkNamespace.ExecArguments(options.NetworkNamespace, dnsmasq, Array.Empty<string>())) psi.ArgumentList.Add(a);
        }
        foreach (var a in Arguments(options)) psi.ArgumentList.Add(a);
        psi.UseShellExecute = false;
        psi.RedirectStandardError = true;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardInput = true;
        psi.Environment["LC_ALL"] = "C";

        var process = Process.Start(psi) ?? throw new NetworkException(options.Interface, $"Could not start {dnsmasq}.");
        var server = new DnsmasqServer(options, process);
        process.StandardInput.Close();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (server._stderr) server._stderr.AppendLine(e.Data); };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (server._stderr) server._stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            await server.WaitUntilReadyAsync(ct).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var pid = _process.Id.ToString(CultureInfo.InvariantCulture);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                _process.WaitForExit(); // drains the redirected output
                throw new NetworkException(Options.Interface,
                    $"dnsmasq for '{Options.Interface}'{Where} exited with code {_process.ExitCode} at start: {Diagnostics()}");
            }
            if (File.Exists(PidFile) && (await File.ReadAllTextAsync(PidFile, ct).ConfigureAwait(false)).Trim() == pid) return;
            if (clock.Elapsed > StartTimeout)
                throw new TimeoutException($"dnsmasq for '{Options.Interface}'{Where} did not write its pid file {PidFile} within {StartTimeout.TotalSeconds:0} s: {Diagnostics()}");
            await Task.Delay(10, ct).ConfigureAwait(false);
        }
    }

    private string Where => Options.NetworkNamespace is null ? "" : $" in network namespace '{Options.NetworkNamespace}'";

    /// <summary>What dnsmasq printed and logged, for error messages.</summary>
    public string Diagnostics()
    {
        string stderr;
        lock (_stderr) stderr = _stderr.ToString().Trim();
        var log = "";
        try
        {
            if (File.Exists(LogFile)) log = string.Join(" | ", File.ReadLines(LogFile).TakeLast(5));
        }
        catch (IOException) { }
        var text = string.Join(" | ", new[] { stderr, log }.Where(s => s.Length > 0));
        return text.Length == 0 ? "(no output)" : text;
    }

    /// <summary>The leases dnsmasq has handed out (its lease file).</summary>
    public IReadOnlyList<DnsmasqLease> ReadLeases() => DnsmasqLease.Read(LeaseFile);

    /// <summary>Kills dnsmasq and waits for its end.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        try
        {
            if (!_process.HasExited) _process.Kill();
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _process.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
