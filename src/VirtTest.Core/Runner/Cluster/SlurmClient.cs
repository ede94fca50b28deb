using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>
/// The Slurm client commands, run with argument lists: <c>sbatch</c> to submit, <c>squeue --json</c>
/// and <c>scontrol show job</c> for job states, <c>scancel</c>, <c>sinfo --json</c> and
/// <c>scontrol show partition</c> for what the cluster offers, <c>scontrol show hostnames</c>
/// to expand host lists. Which cluster is the commands' own business (<c>SLURM_CONF</c> or
/// Slurm's defaults, from this process's environment).
/// </summary>
public sealed class SlurmClient
{
    /// <summary>The commands the controller side of a cluster run uses.</summary>
    public static readonly IReadOnlyList<string> ControllerTools = new[] { "sbatch", "squeue", "scontrol", "scancel", "sinfo" };

    private readonly string? _binDirectory;
    private readonly Dictionary<string, string> _paths = new(StringComparer.Ordinal);

    /// <param name="binDirectory">Where the commands are; null searches PATH.</param>
    /// <param name="commandTimeout">How long one command may take (default 60 s).</param>
    public SlurmClient(string? binDirectory = null, TimeSpan? commandTimeout = null)
    {
        _binDirectory = binDirectory;
        CommandTimeout = commandTimeout ?? TimeSpan.FromSeconds(60);
    }

    /// <summary>How long one command may take (a busy controller answers slowly).</summary>
    public TimeSpan CommandTimeout { get; }

    /// <summary>Throws <see cref="SlurmNotInstalledException"/> for the first of <paramref name="tools"/> that is missing.</summary>
    public void Require(IEnumerable<string> tools)
    {
        foreach (var tool in tools) _ = PathOf(tool);
    }

    /// <summary>The full path of a Slurm command.</summary>
    public string PathOf(string tool)
    {
        lock (_paths)
        {
            if (_paths.TryGetValue(tool, out var known)) return known;
            var folders = _binDirectory is not null
                ? new[] { _binDirectory }
                : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
            foreach (var folder in folders)
            {
                var candidate = Path.Combine(folder, tool);
                if (File.Exists(candidate)) return _paths[tool] = candidate;
            }
            throw new SlurmNotInstalledException(tool, _binDirectory is not null ? _binDirectory : "PATH (" + string.Join(Path.PathSeparator, folders) + ")");
        }
    }

    /// <summary>Submits a job; returns its id.</summary>
    public async Task<string> SubmitAsync(SlurmJobRequest request, CancellationToken ct)
    {
        var output = await RunAsync("sbatch", request.ToArguments(), ct).ConfigureAwait(false);
        // --parsable: "<id>" or "<id>;<cluster>".
        var id = output.Trim().Split(';')[0].Trim();
        if (id.Length == 0 || !id.All(char.IsAsciiDigit))
            throw new SlurmCommandException("sbatch", 0, $"unexpected answer '{output.Trim()}' (expected a job id)");
        return id;
    }

    /// <summary>Every job the controller still holds (<c>squeue --json</c> lists all jobs, finished ones until MinJobAge).</summary>
    public async Task<IReadOnlyList<SlurmJobInfo>> GetJobsAsync(CancellationToken ct) =>
        SlurmJobInfo.ParseSqueueJson(await RunAsync("squeue", new[] { "--json" }, ct).ConfigureAwait(false));

    /// <summary>One job (<c>scontrol show job</c>), or null when the controller no longer knows it.</summary>
    public async Task<SlurmJobInfo?> ShowJobAsync(string jobId, CancellationToken ct)
    {
        var result = await RunRawAsync("scontrol", new[] { "--oneliner", "show", "job", jobId }, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            if (result.Error.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase)) return null;
            throw new SlurmCommandException($"scontrol show job {jobId}", result.ExitCode, result.Error.Trim());
        }
        return SlurmJobInfo.ParseScontrol(result.Output);
    }

    /// <summary>Cancels jobs, running or pending (their processes get SIGTERM, then SIGKILL after KillWait).</summary>
    public async Task CancelAsync(IReadOnlyCollection<string> jobIds, CancellationToken ct)
    {
        if (jobIds.Count == 0) return;
        var result = await RunRawAsync("scancel", jobIds.ToList(), ct).ConfigureAwait(false);
        // Jobs that already ended make scancel complain; that is what we wanted.
        if (result.ExitCode != 0 && !result.Error.Contains("already completed", StringComparison.OrdinalIgnoreCase)
            && !result.Error.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase))
            throw new SlurmCommandException("scancel " + string.Join(' ', jobIds), result.ExitCode, result.Error.Trim());
    }

    public async Task<IReadOnlyList<SlurmNode>> GetNodesAsync(CancellationToken ct) =>
        SlurmNode.ParseSinfoJson(await RunAsync("sinfo", new[] { "--json" }, ct).ConfigureAwait(false));

    public async Task<IReadOnlyList<SlurmPartition>> GetPartitionsAsync(CancellationToken ct) =>
        SlurmPartition.ParseScontrol(await RunAsync("scontrol", new[] { "--oneliner", "show", "partition" }, ct).ConfigureAwait(false));

    /// <summary>The names of a host list (<c>n[1-3]</c> is n1, n2, n3).</summary>
    public async Task<IReadOnlyList<string>> ExpandHostListAsync(string hostList, CancellationToken ct)
    {
        var output = await RunAsync("scontrol", new[] { "show", "hostnames", hostList }, ct).ConfigureAwait(false);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>A process start for <c>srun</c> (a job step inside the current allocation), stdin/stdout/stderr redirected.</summary>
    public ProcessStartInfo StepStartInfo(IReadOnlyList<string> arguments)
    {
        var psi = new ProcessStartInfo(PathOf("srun"))
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        return psi;
    }

    private async Task<string> RunAsync(string tool, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var result = await RunRawAsync(tool, arguments, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
            throw new SlurmCommandException(tool + " " + string.Join(' ', arguments.Where(a => !a.StartsWith("--comment=", StringComparison.Ordinal)).Take(12)),
                result.ExitCode, OneLine(result.Error));
        return result.Output;
    }

    private static string OneLine(string text) => string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private async Task<(int ExitCode, string Output, string Error)> RunRawAsync(string tool, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(PathOf(tool))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new SlurmCommandException(tool, -1, ex.Message, ex);
        }
        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(CommandTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            throw new SlurmCommandException(tool + " " + string.Join(' ', arguments.Take(6)), -1,
                string.Create(CultureInfo.InvariantCulture, $"no answer within {CommandTimeout.TotalSeconds:0} s (is the Slurm controller running and reachable?)"));
        }
        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}
