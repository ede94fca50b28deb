using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using VirtTest.Core.Backends.Xen;
using VirtTest.Core.Config;

namespace VirtTest.Bench;

/// <summary>
/// Xen over SSH against the nested lab (build/XenLab.ps1, started by build.ps1 -Task Bench -BenchArguments xen):
/// the lab's boot time (recorded by the script), then 'xl list' round trips through VirtTest's xl
/// runner (the connection a test run keeps open) beside 'ssh host xl list' run as a process each
/// time (OpenSSH client, a new connection per command, as a shell script would), alternating rounds.
/// </summary>
internal static class XenBench
{
    public static async Task<int> RunAsync(string labFolder, int calls, int rounds)
    {
        var statePath = Path.Combine(labFolder, "lab.json");
        if (!File.Exists(statePath))
        {
            Console.Error.WriteLine($"No Xen lab at {labFolder} (no lab.json): start one with build/XenLab.ps1 -Action Start, or run build.ps1 -Task Bench -BenchArguments xen.");
            return 2;
        }
        using var doc = JsonDocument.Parse(File.ReadAllText(statePath));
        var lab = doc.RootElement;
        string S(string name) => lab.GetProperty(name).ToString();
        Console.WriteLine($"Xen benchmark: lab {S("xenHost")} (Xen {S("xenVersion")}), {calls} x 'xl list' per round, {rounds} rounds, medians");
        Console.WriteLine($"  lab boot (QEMU start to 'xl info' over SSH): {S("bootSeconds")} s");

        var target = XenHostTarget.FromParams(new VirtParams(new Dictionary<string, string>
        {
            ["xen_host"] = S("xenHost"),
            ["xen_host_key"] = S("keyPath"),
            ["xen_host_known_hosts"] = S("knownHostsPath"),
            ["xen_host_key_policy"] = "strict",
        }))!;
        var timeout = TimeSpan.FromSeconds(120);
        await using var runner = new XlSshRunner(target);
        var connect = Stopwatch.StartNew();
        await ListAsync(runner, timeout);
        Console.WriteLine($"  first VirtTest call (connect + xl list): {connect.Elapsed.TotalMilliseconds:F0} ms");

        var ours = new List<double>();
        var ssh = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < calls; i++) await ListAsync(runner, timeout);
            ours.Add(sw.Elapsed.TotalMilliseconds / calls);
            sw.Restart();
            for (var i = 0; i < calls; i++) SshProcess(S("keyPath"), S("knownHostsPath"), S("host"), S("sshPort"));
            ssh.Add(sw.Elapsed.TotalMilliseconds / calls);
        }
        var o = Median(ours);
        var b = Median(ssh);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  VirtTest (xl runner over SSH): {o:F0} ms per 'xl list' (rounds: {string.Join(", ", ours.Select(x => x.ToString("F0", CultureInfo.InvariantCulture)))})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ssh host xl list (a process each): {b:F0} ms (rounds: {string.Join(", ", ssh.Select(x => x.ToString("F0", CultureInfo.InvariantCulture)))})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio VirtTest/ssh = {o / b:F2} (target <= 1.10)"));
        return 0;
    }

    private static async Task ListAsync(XlSshRunner runner, TimeSpan timeout)
    {
        var r = await runner.RunAsync(new[] { "list" }, timeout, default);
        if (r.ExitCode != 0 || !r.Stdout.Contains("Domain-0", StringComparison.Ordinal)) throw new InvalidOperationException("xl list failed: " + r.Stderr);
    }

    private static void SshProcess(string key, string knownHosts, string host, string port)
    {
        var psi = new ProcessStartInfo("ssh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-i", key, "-p", port, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts,
                     "-o", "LogLevel=ERROR", "root@" + host, "xl", "list" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0 || !stdout.Contains("Domain-0", StringComparison.Ordinal)) throw new InvalidOperationException($"ssh xl list failed ({p.ExitCode}): {stderr}");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
