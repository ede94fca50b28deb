using System.Net.Sockets;
using System.Text.Json.Nodes;
using VirtTest.Core.Monitor;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>
/// The other node of a cross-node migration test, as the test sees it: a QEMU waiting there
/// for the migration stream (<see cref="MigrationUri"/>, TCP to that node's address), started
/// by a helper job step. <see cref="MigrateAsync"/> moves the test's VM there; afterwards
/// <see cref="Session"/> is a logged-in shell on the guest on the destination (its serial
/// console, relayed over TCP) and <see cref="QueryStatusAsync"/> asks that QEMU for its state.
/// </summary>
/// <remarks>
/// QEMU only: the source is driven with its <c>migrate</c> command through the raw monitor,
/// since the backend interface migrates to a new instance on the same host only.
/// </remarks>
public sealed class MigrationDestination : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private readonly Func<JsonObject, TimeSpan, CancellationToken, Task<JsonObject>> _request;

    internal MigrationDestination(string node, string address, string migrationUri, int consolePort, string vmName,
        Func<JsonObject, TimeSpan, CancellationToken, Task<JsonObject>> request)
    {
        Node = node;
        Address = address;
        MigrationUri = migrationUri;
        ConsolePort = consolePort;
        VmName = vmName;
        _request = request;
    }

    /// <summary>The destination node's name.</summary>
    public string Node { get; }
    /// <summary>The destination node's address (NodeAddr).</summary>
    public string Address { get; }
    /// <summary>Where the destination QEMU listens for the migration stream (tcp:address:port).</summary>
    public string MigrationUri { get; }
    /// <summary>The TCP port relaying the destination guest's serial console.</summary>
    public int ConsolePort { get; }
    public string VmName { get; }
    /// <summary>True once the guest runs on the destination.</summary>
    public bool Migrated { get; private set; }
    /// <summary>A logged-in shell on the guest on the destination (after <see cref="MigrateAsync"/>).</summary>
    public GuestSession? Session { get; private set; }

    /// <summary>
    /// Live-migrates <paramref name="source"/> (running on this node) to the destination: QEMU's
    /// migration over TCP, then the destination continues, the source is stopped, and a
    /// shell is opened on the guest there.
    /// </summary>
    public async Task MigrateAsync(VirtualMachine source, TimeSpan timeout, IProgress<MigrationProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (Migrated) throw new MigrationDestinationException(Node, $"VM '{VmName}' was already migrated to {Node}: a destination takes one migration.");
        if (!string.Equals(source.BackendName, BackendRegistry.DefaultBackend, StringComparison.OrdinalIgnoreCase))
            throw new NotSupportedByBackendException(source.BackendName, VmCapability.Migration, "migration to another node drives QEMU's migrate command");
        if (!source.Supports(VmCapability.Migration)) throw new NotSupportedByBackendException(source.BackendName, VmCapability.Migration);

        await source.InvokeMonitorAsync("migrate", new JsonObject { ["uri"] = MigrationUri }, CommandTimeout, ct).ConfigureAwait(false);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var info = await source.InvokeMonitorAsync("query-migrate", null, CommandTimeout, ct).ConfigureAwait(false) as JsonObject;
            var status = info?["status"]?.GetValue<string>() ?? "none";
            var ram = info?["ram"] as JsonObject;
            progress?.Report(new MigrationProgress(status, Long(ram?["transferred"]), Long(ram?["total"]), Long(ram?["remaining"])));
            if (status == "completed") break;
            if (status is "failed" or "cancelled")
                throw new MonitorException($"Migration of VM '{source.Name}' to {Node} ({MigrationUri}) {status}: {info?["error-desc"]?.GetValue<string>() ?? "no reason given"}.");
            if (DateTime.UtcNow >= deadline)
            {
                try { await source.InvokeMonitorAsync("migrate_cancel", null, CommandTimeout, CancellationToken.None).ConfigureAwait(false); } catch (VirtTestException) { }
                throw new MonitorTimeoutException($"migration of VM '{source.Name}' to {Node}", timeout);
            }
            await Task.Delay(100, ct).ConfigureAwait(false);
        }

        var reply = await _request(new JsonObject { ["cmd"] = "wait-migrated", ["timeoutSec"] = 30 }, TimeSpan.FromSeconds(40), ct).ConfigureAwait(false);
        if (reply["event"]?.GetValue<string>() != "running")
            throw new MigrationDestinationException(Node, $"VM '{VmName}' did not continue on {Node} after the migration: {reply["message"]?.GetValue<string>() ?? reply.ToJsonString()}");
        Migrated = true;
        // The guest runs there now: the source QEMU (paused after the migration) goes.
        await source.KillAsync().ConfigureAwait(false);

        var options = SessionOptions.FromParams(source.Params);
        Session = await OpenSessionAsync(options, ct).ConfigureAwait(false);
    }

    /// <summary>The destination QEMU's run state (running, paused, inmigrate, ...).</summary>
    public async Task<string> QueryStatusAsync(CancellationToken ct = default)
    {
        var reply = await _request(new JsonObject { ["cmd"] = "state" }, CommandTimeout, ct).ConfigureAwait(false);
        return reply["status"]?.GetValue<string>()
            ?? throw new MigrationDestinationException(Node, $"The destination on {Node} did not say its state: {reply["message"]?.GetValue<string>() ?? reply.ToJsonString()}");
    }

    private async Task<GuestSession> OpenSessionAsync(SessionOptions options, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(ct);
            connect.CancelAfter(CommandTimeout);
            await socket.ConnectAsync(Address, ConsolePort, connect.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new MigrationDestinationException(Node, $"Could not reach the console of VM '{VmName}' on {Node} ({Address}:{ConsolePort}): {ex.Message}", ex);
        }
        // The session owns the stream, and the stream the socket.
        var session = SerialSession.Create(new NetworkStream(socket, ownsSocket: true), $"{VmName} serial on {Node}", options.ShellPrompt, options.LogPath, VmName);
        try
        {
            await SerialLogin.LoginAsync(session, options.UserName, options.Password, options.Timeout, ct).ConfigureAwait(false);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static long Long(JsonNode? n) => n is JsonValue v && v.TryGetValue<long>(out var l) ? l : 0;

    public override string ToString() =>
        $"{VmName} -> {Node} ({MigrationUri}, {(Migrated ? "migrated" : "waiting")})";

    public async ValueTask DisposeAsync()
    {
        var session = Session;
        Session = null;
        if (session is not null)
        {
            try { await session.DisposeAsync().ConfigureAwait(false); } catch (Exception) { /* the destination is going away */ }
        }
    }
}
