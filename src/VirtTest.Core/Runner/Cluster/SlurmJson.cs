using System.Globalization;
using System.Text.Json;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>
/// Reads fields of Slurm's JSON output (<c>squeue --json</c>, <c>sinfo --json</c>) across its
/// versions: 22.05 writes plain numbers and strings, later versions wrap numbers in
/// <c>{"set":..,"number":..}</c> and states in arrays.
/// </summary>
internal static class SlurmJson
{
    /// <summary>Parses a command's JSON answer; one that is not JSON is the command's failure (the run retries).</summary>
    public static JsonDocument Parse(string json, string command)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            var start = json.Length > 120 ? json[..120] + "..." : json;
            throw new SlurmCommandException(command, 0, $"its answer is not JSON ({ex.Message}): '{start.Trim()}'", ex);
        }
    }

    public static string? String(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            // A list of flags (job_state, node state in later versions): the first one is the state.
            JsonValueKind.Array => v.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : x.GetRawText()).FirstOrDefault(),
            _ => null,
        };
    }

    public static IReadOnlyList<string> Strings(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v)) return Array.Empty<string>();
        return v.ValueKind switch
        {
            JsonValueKind.Array => v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList(),
            JsonValueKind.String => v.GetString()!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            _ => Array.Empty<string>(),
        };
    }

    public static long? Number(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? Number(v) : null;

    private static long? Number(JsonElement v)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.Number:
                return v.TryGetInt64(out var l) ? l : (long)v.GetDouble();
            case JsonValueKind.String:
                return long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : null;
            case JsonValueKind.Object:
                if (v.TryGetProperty("set", out var set) && set.ValueKind == JsonValueKind.False) return null;
                if (v.TryGetProperty("number", out var n)) return Number(n);
                // exit_code in later versions: {"status": [...], "return_code": {...}}
                if (v.TryGetProperty("return_code", out var rc)) return Number(rc);
                return null;
            default:
                return null;
        }
    }

    public static DateTimeOffset? Time(JsonElement e, string name) =>
        Number(e, name) is { } seconds && seconds > 0 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
}
