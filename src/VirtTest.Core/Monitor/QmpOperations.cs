using System.Text.Json.Nodes;

namespace VirtTest.Core.Monitor;

/// <summary>Sends one QMP command and returns its <c>return</c> value (QMP errors as <see cref="MonitorCommandException"/>).</summary>
public delegate Task<JsonNode?> QmpExecutor(string command, JsonObject? arguments, TimeSpan timeout, CancellationToken ct);

/// <summary>
/// The typed operations every backend that reaches a QEMU monitor performs the same way, over
/// whatever carries its QMP commands (QEMU's own socket, libvirt's monitor pass-through).
/// </summary>
public sealed class QmpOperations
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private readonly QmpExecutor _execute;

    public QmpOperations(QmpExecutor execute) => _execute = execute;

    public async Task<IReadOnlyList<PciDevice>> QueryPciAsync(CancellationToken ct) =>
        QmpPciList.Parse(await _execute("query-pci", null, CommandTimeout, ct).ConfigureAwait(false));

    /// <summary>The commands this QEMU accepts (<c>query-commands</c>), sorted.</summary>
    public async Task<IReadOnlyList<string>> ListCommandsAsync(CancellationToken ct)
    {
        var reply = await _execute("query-commands", null, CommandTimeout, ct).ConfigureAwait(false);
        return (reply as JsonArray ?? new JsonArray())
            .Select(c => c?["name"]?.GetValue<string>())
            .OfType<string>()
            .OrderBy(n => n, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Presses the keys together (QEMU qcode names).</summary>
    public Task SendKeysAsync(IReadOnlyList<string> keys, CancellationToken ct)
    {
        if (keys.Count == 0) throw new ArgumentException("At least one key is required.", nameof(keys));
        var array = new JsonArray();
        foreach (var k in keys) array.Add(new JsonObject { ["type"] = "qcode", ["data"] = k });
        return _execute("send-key", new JsonObject { ["keys"] = array }, CommandTimeout, ct);
    }

    /// <summary>Moves the pointer by a relative amount.</summary>
    public Task MoveMouseAsync(int dx, int dy, CancellationToken ct)
    {
        var events = new JsonArray
        {
            new JsonObject { ["type"] = "rel", ["data"] = new JsonObject { ["axis"] = "x", ["value"] = dx } },
            new JsonObject { ["type"] = "rel", ["data"] = new JsonObject { ["axis"] = "y", ["value"] = dy } },
        };
        return _execute("input-send-event", new JsonObject { ["events"] = events }, CommandTimeout, ct);
    }
}
