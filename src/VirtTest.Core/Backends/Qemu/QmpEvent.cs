using System.Text.Json.Nodes;
using VirtTest.Core.Monitor;

namespace VirtTest.Core.Backends.Qemu;

/// <summary>
/// One asynchronous QMP event, e.g. <c>{"event": "STOP", "data": {...}, "timestamp": {"seconds": s, "microseconds": us}}</c>.
/// </summary>
public sealed class QmpEvent
{
    public QmpEvent(long sequence, string name, JsonObject? data, DateTimeOffset timestamp)
    {
        Sequence = sequence;
        Name = name;
        Data = data;
        Timestamp = timestamp;
    }

    /// <summary>Order of receipt on this connection, starting at 1 and increasing by one per event.</summary>
    public long Sequence { get; }

    /// <summary>The event name as QEMU spells it (STOP, RESUME, DEVICE_DELETED, ...).</summary>
    public string Name { get; }

    /// <summary>The event's <c>data</c> member, when it has one. Shared by every reader of the log: treat it as read-only.</summary>
    public JsonObject? Data { get; }

    /// <summary>When QEMU says the event happened (its host clock), or the time of receipt when QEMU sent no usable timestamp.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>A string member of <see cref="Data"/>, or null.</summary>
    public string? GetString(string member) =>
        Data is not null && Data.TryGetPropertyValue(member, out var node) && node is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : null;

    /// <summary>The hypervisor-neutral form used by <see cref="IVmMonitor"/>.</summary>
    public MonitorEvent ToMonitorEvent() => new(Name, Data, Timestamp, Sequence);

    public override string ToString() =>
        Data is null ? $"#{Sequence} {Name}" : $"#{Sequence} {Name} {Data.ToJsonString()}";

    /// <summary>
    /// Converts QMP's <c>{"seconds": s, "microseconds": us}</c>. QEMU reports -1/-1 when its clock
    /// could not be read; that and a missing member fall back to <paramref name="fallback"/>.
    /// </summary>
    internal static DateTimeOffset ParseTimestamp(JsonNode? timestamp, DateTimeOffset fallback)
    {
        if (timestamp is JsonObject parts
            && parts["seconds"] is JsonValue secondsNode && secondsNode.TryGetValue<long>(out var seconds)
            && parts["microseconds"] is JsonValue microsNode && microsNode.TryGetValue<long>(out var micros)
            && seconds >= 0 && micros is >= 0 and < 1_000_000)
        {
            try
            {
                return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micros * TimeSpan.TicksPerMicrosecond);
            }
            catch (ArgumentOutOfRangeException)
            {
                // Seconds beyond year 9999: not a real clock reading.
            }
        }
        return fallback;
    }
}
