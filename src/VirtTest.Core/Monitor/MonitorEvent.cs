using System.Text.Json.Nodes;

namespace VirtTest.Core.Monitor;

/// <summary>An asynchronous event reported by a VM's monitor (device deleted, stop, resume, shutdown, ...).</summary>
/// <param name="Name">The event name in the hypervisor's spelling (QMP: DEVICE_DELETED, STOP, ...).</param>
/// <param name="Data">The event's data, when it has any.</param>
/// <param name="Timestamp">When the hypervisor says it happened.</param>
/// <param name="Sequence">Order of receipt, increasing; wait for events after a known sequence number.</param>
public sealed record MonitorEvent(string Name, JsonObject? Data, DateTimeOffset Timestamp, long Sequence)
{
    /// <summary>A string member of <see cref="Data"/>, or null.</summary>
    public string? GetString(string member) =>
        Data is not null && Data.TryGetPropertyValue(member, out var node) && node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
