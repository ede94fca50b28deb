using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace VirtTest.Core.Network;

/// <summary>
/// Named network namespaces (<c>ip netns</c>: a bind mount under /run/netns). Test networks
/// live in namespaces of their own, so nothing they do reaches the host's interfaces.
/// </summary>
public static class NetworkNamespace
{
    /// <summary>
    /// Creates a namespace with its loopback up, recorded in the ledger first so a crash
    /// leaves it to the next run's cleanup.
    /// </summary>
    public static async Task CreateAsync(string name, NetworkObjectLedger? ledger = null, CancellationToken ct = default)
    {
        InterfaceName.Validate(name);
        ledger ??= NetworkObjectLedger.Default;
        if (!ledger.TryRecord(NetworkObjectKind.Namespace, name, null))
            throw new NetworkObjectExistsException(name, $"Network namespace '{name}' is recorded as created by another VirtTest process ({ledger.StatePath}).");
        try
        {
            await IpCommand.RunAsync(null, new[] { "netns", "add", name }, ct).ConfigureAwait(false);
            await IpCommand.RunAsync(name, new[] { "link", "set", "dev", "lo", "up" }, ct).ConfigureAwait(false);
        }
        catch
        {
            await IpCommand.TryRunAsync(null, new[] { "netns", "del", name }, CancellationToken.None).ConfigureAwait(false);
            ledger.Forget(NetworkObjectKind.Namespace, name);
            throw;
        }
    }

    /// <summary>The names of the host's named namespaces.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(CancellationToken ct = default)
    {
        var array = await IpCommand.JsonAsync(null, new[] { "netns", "list" }, ct).ConfigureAwait(false);
        return array.Select(n => (n as JsonObject)?["name"]?.GetValue<string>()).OfType<string>().ToList();
    }

    public static async Task<bool> ExistsAsync(string name, CancellationToken ct = default) =>
        (await ListAsync(ct).ConfigureAwait(false)).Contains(name, StringComparer.Ordinal);

    /// <summary>The processes whose network namespace this is (e.g. its dnsmasq).</summary>
    public static async Task<IReadOnlyList<int>> ProcessIdsAsync(string name, CancellationToken ct = default)
    {
        var output = await IpCommand.RunAsync(null, new[] { "netns", "pids", name }, ct).ConfigureAwait(false);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
            .Where(pid => pid > 0).ToList();
    }

    /// <summary>
    /// Deletes a namespace: first ends every process still in it (a namespace with a process
    /// in it outlives its name, and its links with it), then removes its name. False when it
    /// did not exist.
    /// </summary>
    public static async Task<bool> DeleteAsync(string name, NetworkObjectLedger? ledger = null, CancellationToken ct = default)
    {
        ledger ??= NetworkObjectLedger.Default;
        if (!await ExistsAsync(name, ct).ConfigureAwait(false))
        {
            ledger.Forget(NetworkObjectKind.Namespace, name);
            return false;
        }
        await KillProcessesAsync(name, ct).ConfigureAwait(false);
        await IpCommand.RunAsync(null, new[] { "netns", "del", name }, ct).ConfigureAwait(false);
        ledger.Forget(NetworkObjectKind.Namespace, name);
        return true;
    }

    /// <summary>Kills the processes in a namespace and waits (up to 5 s) until they are gone.</summary>
    public static async Task KillProcessesAsync(string name, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var pids = await ProcessIdsAsync(name, ct).ConfigureAwait(false);
            if (pids.Count == 0) return;
            foreach (var pid in pids)
            {
                try
                {
                    using var p = Process.GetProcessById(pid);
                    p.Kill();
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Gone meanwhile.
                }
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(5))
                throw new NetworkException(name, $"Processes {string.Join(", ", pids)} in network namespace '{name}' did not end within 5 s of SIGKILL.");
            await Task.Delay(20, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The arguments for <c>ip</c> that run <paramref name="program"/> inside the namespace
    /// (<c>ip netns exec NAME program args</c>: ip enters the namespace and executes the
    /// program in its own process, so the process id is the program's).
    /// </summary>
    public static IReadOnlyList<string> ExecArguments(string name, string program, IEnumerable<string> arguments) =>
        new[] { "netns", "exec", name, program }.Concat(arguments).ToList();

    /// <summary>Runs a host tool (e.g. ping) inside the namespace and returns what it printed.</summary>
    public static async Task<ToolResult> RunAsync(string name, string tool, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct = default)
    {
        var result = await NetworkTool.RunAsync(NetworkTool.Ip, ExecArguments(name, NetworkTool.Locate(tool), arguments), timeout, ct).ConfigureAwait(false);
        // ip itself failed (no such namespace, no permission) rather than the tool.
        if (result.ExitCode == 255 && result.StandardError.Contains("network namespace", StringComparison.Ordinal))
            throw IpCommand.ToException(result, name);
        return result with { Tool = tool, Arguments = arguments };
    }
}
