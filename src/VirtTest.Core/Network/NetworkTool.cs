using System.Diagnostics;
using System.Text;

namespace VirtTest.Core.Network;

/// <summary>What a tool run printed and how it ended.</summary>
public sealed record ToolResult(string Tool, IReadOnlyList<string> Arguments, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The command line for messages (arguments are never run through a shell).</summary>
    public string CommandLine => Tool + " " + string.Join(' ', Arguments);
}

/// <summary>
/// The host programs the network code runs: <c>ip</c> (iproute2), <c>dnsmasq</c>, <c>ping</c>.
/// Found on PATH or in the sbin folders (a non-root PATH often lacks them), started from
/// argument lists, never a shell string.
/// </summary>
public static class NetworkTool
{
    public const string Ip = "ip";
    public const string Dnsmasq = "dnsmasq";
    public const string Ping = "ping";

    private static readonly Dictionary<string, string> Packages = new(StringComparer.Ordinal)
    {
        [Ip] = "iproute2",
        [Dnsmasq] = "dnsmasq-base",
        [Ping] = "iputils-ping",
    };

    private static readonly string[] SbinFolders = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };

    /// <summary>The full path of a tool; <see cref="NetworkToolMissingException"/> when it is not installed.</summary>
    public static string Locate(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Concat(SbinFolders))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        throw new NetworkToolMissingException(tool, Packages.GetValueOrDefault(tool, tool));
    }

    /// <summary>True when the tool is installed.</summary>
    public static bool IsInstalled(string tool)
    {
        try
        {
            Locate(tool);
            return true;
        }
        catch (NetworkToolMissingException)
        {
            return false;
        }
    }

    /// <summary>
    /// Runs a tool to its end and returns what it printed; a non-zero exit code is returned,
    /// not thrown. Past <paramref name="timeout"/> (or on cancellation) the process is killed.
    /// </summary>
    public static async Task<ToolResult> RunAsync(string tool, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct = default)
    {
        var psi = new ProcessStartInfo(Locate(tool))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        // Messages are matched in English (e.g. "Cannot find device").
        psi.Environment["LC_ALL"] = "C";
        using var process = Process.Start(psi) ?? throw new NetworkException(null, $"Could not start {psi.FileName}.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            throw new TimeoutException($"'{tool} {string.Join(' ', arguments)}' did not end within {timeout.TotalSeconds:0.#} s and was killed.");
        }
        return new ToolResult(tool, arguments.ToList(), process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}
