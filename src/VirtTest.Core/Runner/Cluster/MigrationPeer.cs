using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>
/// Starts the destination side of a cross-node migration on the other node of the job's
/// allocation: <c>srun --overlap --nodelist=&lt;other&gt;</c> runs the job command there with
/// <c>-MigrationDestination</c> (<see cref="MigrationDestinationService"/>), and talks to it over
/// the step's stdin and stdout, one JSON object per line (srun forwards both). Disposing it
/// stops the helper, which kills the destination QEMU.
/// </summary>
internal sealed class MigrationPeer : IAsyncDisposable
{
    /// <summary>How long the helper may take to start pwsh and a paused QEMU on its node.</summary>
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(2);

    private readonly Process _srun;
    private readonly StringBuilder _stderr;
    private readonly SemaphoreSlim _exchange = new(1, 1);

    private MigrationPeer(Process srun, StringBuilder stderr, JsonObject ready)
    {
        _srun = srun;
        _stderr = stderr;
        Destination = new MigrationDestination(
            ready["node"]?.GetValue<string>() ?? "",
            ready["address"]?.GetValue<string>() ?? "",
            ready["migrationUri"]?.GetValue<string>() ?? "",
            ready["consolePort"]?.GetValue<int>() ?? 0,
            ready["vm"]?.GetValue<string>() ?? "",
            RequestAsync);
    }

    public MigrationDestination Destination { get; }

    public static async Task<MigrationPeer> StartAsync(SlurmClient client, ClusterJobSpec spec, string specPath, string thisNode, string attemptPath, CancellationToken ct)
    {
        var nodeList = Environment.GetEnvironmentVariable("SLURM_JOB_NODELIST");
        if (nodeList is not { Length: > 0 })
            throw new MigrationDestinationException("", $"{SlurmJobResources.MigrationDestParam} = auto needs a second node, and this job has no Slurm allocation (run it with Invoke-VirtTestRun -Cluster Slurm).");
        var nodes = await client.ExpandHostListAsync(nodeList, ct).ConfigureAwait(false);
        var peer = nodes.FirstOrDefault(n => !string.Equals(n, thisNode, StringComparison.Ordinal))
            ?? throw new MigrationDestinationException("", $"{SlurmJobResources.MigrationDestParam} = auto needs a second node, and the job's allocation is only {nodeList}.");
        var arguments = new List<string> { "--overlap", "--nodes=1", "--ntasks=1", "--nodelist=" + peer, "--unbuffered", "--job-name=vt-migration-destination" };
        arguments.AddRange(spec.JobCommand);
        arguments.Add(specPath);
        arguments.Add("-MigrationDestination");
        var srun = new Process { StartInfo = client.StepStartInfo(arguments) };
        srun.Start();
        var stderr = new StringBuilder();
        _ = Task.Run(async () =>
        {
            try
            {
                while (await srun.StandardError.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
                    lock (stderr) if (stderr.Length < 16384) stderr.AppendLine(line);
            }
            catch (Exception) { /* the step ended */ }
        });
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ReadyTimeout);
            var ready = await ReadEventAsync(srun, timeout.Token).ConfigureAwait(false);
            if (ready?["event"]?.GetValue<string>() != "ready")
            {
                var why = ready?["message"]?.GetValue<string>() ?? (ready is null ? "the helper ended without a word" : ready.ToJsonString());
                throw new MigrationDestinationException(peer, $"The migration destination on {peer} did not start: {why}{Tail(stderr)}");
            }
            return new MigrationPeer(srun, stderr, ready);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Kill(srun);
            throw new MigrationDestinationException(peer, $"The migration destination on {peer} was not ready within {ReadyTimeout.TotalSeconds:0} s{Tail(stderr)}");
        }
        catch
        {
            Kill(srun);
            throw;
        }
    }

    /// <summary>The next protocol line from the helper (lines that are not JSON events, such as warnings, are skipped); null at its end.</summary>
    private static async Task<JsonObject?> ReadEventAsync(Process srun, CancellationToken ct)
    {
        while (true)
        {
            var line = await srun.StandardOutput.ReadLineAsync(ct).ConfigureAwait(false);
            if (line is null) return null;
            // Terminal control sequences (.NET's console setup) may precede the object on its line.
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            if (brace < 0) continue;
            line = line[brace..].Trim();
            try
            {
                if (JsonNode.Parse(line) is JsonObject o && o.ContainsKey("event")) return o;
            }
            catch (JsonException) { }
        }
    }

    private async Task<JsonObject> RequestAsync(JsonObject command, TimeSpan timeout, CancellationToken ct)
    {
        await _exchange.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _srun.StandardInput.WriteLineAsync(command.ToJsonString().AsMemory(), ct).ConfigureAwait(false);
            await _srun.StandardInput.FlushAsync(ct).ConfigureAwait(false);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(timeout);
            try
            {
                return await ReadEventAsync(_srun, limit.Token).ConfigureAwait(false)
                    ?? throw new MigrationDestinationException(Destination.Node, $"The migration destination on {Destination.Node} ended{Tail(_stderr)}");
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new MigrationDestinationException(Destination.Node, $"The migration destination on {Destination.Node} did not answer '{command["cmd"]}' within {timeout.TotalSeconds:0} s");
            }
        }
        catch (IOException ex)
        {
            throw new MigrationDestinationException(Destination.Node, $"The migration destination on {Destination.Node} is gone: {ex.Message}{Tail(_stderr)}", ex);
        }
        finally
        {
            _exchange.Release();
        }
    }

    private static string Tail(StringBuilder stderr)
    {
        string text;
        lock (stderr) text = stderr.ToString().Trim();
        if (text.Length == 0) return "";
        return " (its error output: " + string.Join(" | ", text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).TakeLast(4)) + ")";
    }

    private static void Kill(Process p)
    {
        try { if (!p.HasExited) p.Kill(true); } catch (InvalidOperationException) { }
        p.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await Destination.DisposeAsync().ConfigureAwait(false);
        try
        {
            // The helper stops (and kills its QEMU) on 'stop' or at the end of its input.
            await _srun.StandardInput.WriteLineAsync("{\"cmd\":\"stop\"}").ConfigureAwait(false);
            _srun.StandardInput.Close();
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try { await _srun.WaitForExitAsync(wait.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        Kill(_srun);
    }
}
