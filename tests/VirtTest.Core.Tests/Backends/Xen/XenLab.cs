using System.Diagnostics;
using System.Text.Json;
using VirtTest.Core.Backends.Xen;
using VirtTest.Core.Config;
using VirtTest.Core.Tests.Config;

namespace VirtTest.Core.Tests.Backends.Xen;

/// <summary>
/// The nested Xen lab (build/XenLab.ps1) the Xen tests run against: the one whose folder
/// VIRTTEST_XEN_LAB names (build.ps1 -Task Test starts it once for the suite), else the
/// repository's .build/xenlab/lab when it runs, else one started here for this test run and
/// stopped when it ends (a developer running these tests alone).
/// </summary>
public sealed class XenLabFixture : IAsyncLifetime
{
    public const string EnvironmentVariable = "VIRTTEST_XEN_LAB";
    private bool _startedHere;

    public string LabPath { get; private set; } = "";
    public string XenHost { get; private set; } = "";
    public string Host { get; private set; } = "";
    public int SshPort { get; private set; }
    public string KeyPath { get; private set; } = "";
    public string KnownHostsPath { get; private set; } = "";

    private static string Script => Path.Combine(TestPaths.RepoRoot, "build", "XenLab.ps1");

    public async Task InitializeAsync()
    {
        var folder = Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env ? env : Path.Combine(TestPaths.RepoRoot, ".build", "xenlab", "lab");
        if (!Running(folder))
        {
            if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 })
                throw new InvalidOperationException($"{EnvironmentVariable}={folder} names no running Xen lab (no lab.json with a live QEMU).");
            await RunScriptAsync("Start");
            _startedHere = true;
            folder = Path.Combine(TestPaths.RepoRoot, ".build", "xenlab", "lab");
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "lab.json")));
        var r = doc.RootElement;
        LabPath = folder;
        XenHost = r.GetProperty("xenHost").GetString()!;
        Host = r.GetProperty("host").GetString()!;
        SshPort = r.GetProperty("sshPort").GetInt32();
        KeyPath = r.GetProperty("keyPath").GetString()!;
        KnownHostsPath = r.GetProperty("knownHostsPath").GetString()!;
    }

    public async Task DisposeAsync()
    {
        if (_startedHere) await RunScriptAsync("Stop");
    }

    private static bool Running(string folder)
    {
        var state = Path.Combine(folder, "lab.json");
        if (!File.Exists(state)) return false;
        using var doc = JsonDocument.Parse(File.ReadAllText(state));
        if (!doc.RootElement.TryGetProperty("pid", out var pid) || pid.ValueKind != JsonValueKind.Number) return false;
        var cmdline = $"/proc/{pid.GetInt32()}/cmdline";
        return File.Exists(cmdline) && File.ReadAllText(cmdline).Contains("qemu-system-x86_64", StringComparison.Ordinal)
            && doc.RootElement.TryGetProperty("bootSeconds", out var boot) && boot.ValueKind == JsonValueKind.Number;
    }

    private static async Task RunScriptAsync(string action)
    {
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = TestPaths.RepoRoot, UseShellExecute = false };
        foreach (var a in new[] { "pwsh", "-NoLogo", "-NoProfile", "-NonInteractive", "-File", Script, "-Action", action }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        await p.WaitForExitAsync(cts.Token);
        if (p.ExitCode != 0) throw new InvalidOperationException($"build/XenLab.ps1 -Action {action} failed with exit code {p.ExitCode} (its output is above).");
    }

    /// <summary>The params that reach the lab's dom0 (key login, its known host key, strict).</summary>
    public Dictionary<string, string> HostParams() => new()
    {
        ["xen_host"] = XenHost,
        ["xen_host_key"] = KeyPath,
        ["xen_host_known_hosts"] = KnownHostsPath,
        ["xen_host_key_policy"] = "strict",
    };

    public XenHostTarget Target() => XenHostTarget.FromParams(new VirtParams(HostParams()))!;
}

/// <summary>Tests on the lab run one after another (one nested hypervisor on two cores) and share one lab.</summary>
[CollectionDefinition("XenLab", DisableParallelization = true)]
public sealed class XenLabCollection : ICollectionFixture<XenLabFixture> { }
