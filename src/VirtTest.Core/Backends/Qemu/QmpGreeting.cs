using System.Text.Json;
using System.Text.Json.Nodes;

namespace VirtTest.Core.Backends.Qemu;

/// <summary>
/// The first message a QMP server sends on a new connection:
/// <c>{"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0}, "package": "..."}, "capabilities": ["oob"]}}</c>.
/// </summary>
public sealed class QmpGreeting
{
    public QmpGreeting(int major, int minor, int micro, string package, IReadOnlyList<string> capabilities)
    {
        Major = major;
        Minor = minor;
        Micro = micro;
        Package = package;
        Capabilities = capabilities;
    }

    public int Major { get; }
    public int Minor { get; }
    public int Micro { get; }

    /// <summary>The distribution's package string (e.g. <c>Debian 1:7.2+dfsg-7</c>); empty when QEMU was built without one.</summary>
    public string Package { get; }

    /// <summary>The optional protocol capabilities the server offers (QEMU 7.2: <c>oob</c>). None are enabled by the client.</summary>
    public IReadOnlyList<string> Capabilities { get; }

    public Version Version => new(Major, Minor, Micro);

    public override string ToString() =>
        Package.Length == 0 ? $"QEMU {Major}.{Minor}.{Micro}" : $"QEMU {Major}.{Minor}.{Micro} ({Package})";

    /// <summary>Reads a greeting line. Throws <see cref="FormatException"/> when the line is not a QMP greeting.</summary>
    public static QmpGreeting Parse(string line)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(line);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Not a QMP greeting (invalid JSON): {Shorten(line)}", ex);
        }

        if (root is not JsonObject message || message["QMP"] is not JsonObject qmp)
            throw new FormatException($"Not a QMP greeting (no \"QMP\" object): {Shorten(line)}");
        if (qmp["version"] is not JsonObject version || version["qemu"] is not JsonObject triple)
            throw new FormatException($"QMP greeting without a version: {Shorten(line)}");

        var capabilities = new List<string>();
        if (qmp["capabilities"] is JsonArray offered)
        {
            foreach (var item in offered)
            {
                if (item is JsonValue value && value.TryGetValue<string>(out var name)) capabilities.Add(name);
            }
        }

        return new QmpGreeting(
            ReadVersionPart(triple, "major", line),
            ReadVersionPart(triple, "minor", line),
            ReadVersionPart(triple, "micro", line),
            version["package"] is JsonValue package && package.TryGetValue<string>(out var text) ? text.Trim() : "",
            capabilities);
    }

    private static int ReadVersionPart(JsonObject triple, string part, string line) =>
        triple[part] is JsonValue value && value.TryGetValue<int>(out var number)
            ? number
            : throw new FormatException($"QMP greeting version lacks a numeric '{part}': {Shorten(line)}");

    internal static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";
}
