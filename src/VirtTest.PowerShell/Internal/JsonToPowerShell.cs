using System.Management.Automation;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace VirtTest.PowerShell.Internal;

/// <summary>Turns monitor JSON into PowerShell objects (as ConvertFrom-Json would), and hashtables into JSON.</summary>
internal static class JsonToPowerShell
{
    public static object? ToPowerShell(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                var ps = new PSObject();
                foreach (var (key, value) in obj) ps.Properties.Add(new PSNoteProperty(key, ToPowerShell(value)));
                return ps;
            case JsonArray array:
                return array.Select(ToPowerShell).ToArray();
            case JsonValue value:
                var element = value.GetValue<JsonElement>();
                return element.ValueKind switch
                {
                    JsonValueKind.String => element.GetString(),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.Number => element.TryGetInt64(out var l) ? l : element.GetDouble(),
                    _ => null,
                };
            default:
                return node.ToJsonString();
        }
    }

    public static JsonObject? ToJsonObject(System.Collections.IDictionary? table)
    {
        if (table is null) return null;
        var json = new JsonObject();
        foreach (System.Collections.DictionaryEntry entry in table) json[entry.Key.ToString()!] = ToJsonNode(entry.Value);
        return json;
    }

    private static JsonNode? ToJsonNode(object? value)
    {
        value = value is PSObject pso ? pso.BaseObject : value;
        return value switch
        {
            null => null,
            string s => JsonValue.Create(s),
            bool b => JsonValue.Create(b),
            int i => JsonValue.Create(i),
            long l => JsonValue.Create(l),
            double d => JsonValue.Create(d),
            System.Collections.IDictionary dict => ToJsonObject(dict),
            System.Collections.IEnumerable list => new JsonArray(list.Cast<object?>().Select(ToJsonNode).ToArray()),
            _ => JsonValue.Create(value.ToString()),
        };
    }
}
