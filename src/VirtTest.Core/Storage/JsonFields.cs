using System.Text.Json;
using System.Text.Json.Nodes;

namespace VirtTest.Core.Storage;

/// <summary>Typed reads of qemu-img's JSON output (fields may be missing: older versions, other formats).</summary>
internal static class JsonFields
{
    public static string? String(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static long? Long(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;

    public static bool? Bool(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    /// <summary>Plain .NET values (string, long, double, bool, dictionaries, lists) for PowerShell to show.</summary>
    public static object? ToPlain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(kv => kv.Key, kv => ToPlain(kv.Value), StringComparer.Ordinal),
        JsonArray a => a.Select(ToPlain).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => v.TryGetValue<long>(out var n) ? (object)n : v.GetValue<double>(),
            _ => null,
        },
        _ => null,
    };

    public static JsonNode ParseDocument(string json, string image, string subcommand)
    {
        try
        {
            return JsonNode.Parse(json) ?? throw new JsonException("empty document");
        }
        catch (JsonException ex)
        {
            throw new StorageException(image, $"qemu-img {subcommand} on '{image}' printed no JSON that could be read ({ex.Message}): {QemuImgException.OneLine(json)}", ex);
        }
    }
}
