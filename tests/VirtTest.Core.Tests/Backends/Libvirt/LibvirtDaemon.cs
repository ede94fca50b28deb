using System.Diagnostics;

namespace VirtTest.Core.Tests.Backends.Libvirt;

/// <summary>
/// A private libvirtd with the QEMU driver for the tests in one collection, started and
/// stopped by build/libvirt-daemon.sh (the same script the Pester helper uses).
/// </summary>
public sealed class LibvirtDaemon : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "virttest-lvd-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>The connection URI of the private daemon.</summary>
    public string Uri { get; private set; } = "";

    public static string Script
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "build", "libvirt-daemon.sh");
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException("build/libvirt-daemon.sh not found above " + AppContext.BaseDirectory);
        }
    }

    public async Task InitializeAsync()
    {
        var (code, output, error) = await RunAsync("start");
        if (code != 0) throw new InvalidOperationException($"libvirt-daemon.sh start failed ({code}): {error}");
        Uri = output.Trim();
    }

    public async Task DisposeAsync()
    {
        var (code, _, error) = await RunAsync("stop");
        if (code != 0) throw new InvalidOperationException($"libvirt-daemon.sh stop failed ({code}): {error}");
    }

    private Task<(int Code, string Output, string Error)> RunAsync(string command) => RunScriptAsync(command, _dir);

    /// <summary>Runs build/libvirt-daemon.sh with a command, the daemon's folder and further arguments.</summary>
    internal static async Task<(int Code, string Output, string Error)> RunScriptAsync(string command, string dir, params string[] more)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Script);
        psi.ArgumentList.Add(command);
        psi.ArgumentList.Add(dir);
        foreach (var a in more) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stderr);
    }
}

/// <summary>Guest-booting libvirt tests: one daemon for all, one test at a time (TCG on two cores).</summary>
[CollectionDefinition("LibvirtGuest", DisableParallelization = true)]
public sealed class LibvirtGuestCollection : ICollectionFixture<LibvirtDaemon> { }
