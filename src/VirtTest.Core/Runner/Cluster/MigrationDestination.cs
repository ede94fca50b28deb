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
/// Backends with <see cref="VmCapability.MigrationToHost"/> (QEMU): the source sends itself
/// with <see cref="VirtualMachine.SendMigrationAsync"/>, the destination was started with
/// <see cref="VirtualMachine.StartIncomingMigrationAsync"/>.
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
        if (!source.Supports(VmCapability.MigrationToHost)) throw new NotSupportedByBackendException(source.BackendName, VmCapability.MigrationToHost);

        await source.SendMigrationAsync(MigrationUri, timeout, progress, ct).ConfigureAwait(false);
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
