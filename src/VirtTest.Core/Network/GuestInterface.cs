using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Network;

/// <summary>
/// One interface as the guest sees it, parsed from <c>ip -j addr show</c> (iproute2) or, for
/// guests whose <c>ip</c> has no JSON output (busybox), from the plain <c>ip addr show</c>
/// text, which has the same layout in both.
/// </summary>
public sealed record GuestInterface(string Name, string? MacAddress, IReadOnlyList<IPAddress> IPv4Address, IReadOnlyList<IPAddress> IPv6Address, bool IsLoopback)
{
    /// <summary>Parses either form (JSON when the text starts with '[').</summary>
    public static IReadOnlyList<GuestInterface> Parse(string output)
    {
        var text = output.Trim();
        return text.StartsWith('[') ? ParseJson(text) : ParseText(text);
    }

    /// <summary>Parses <c>ip -j addr show</c>.</summary>
    public static IReadOnlyList<GuestInterface> ParseJson(string json)
    {
        JsonArray? array;
        try
        {
            array = JsonNode.Parse(json) as JsonArray;
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The guest's 'ip -j addr' output is not JSON: {ex.Message}", ex);
        }
        var list = new List<GuestInterface>();
        foreach (var node in array ?? new JsonArray())
        {
            if (node is not JsonObject o || o["ifname"]?.GetValue<string>() is not { } name) continue;
            var v4 = new List<IPAddress>();
            var v6 = new List<IPAddress>();
            foreach (var a in o["addr_info"] as JsonArray ?? new JsonArray())
            {
                if (a is JsonObject ao && ao["local"]?.GetValue<string>() is { } local && IPAddress.TryParse(local, out var ip))
                    (ip.AddressFamily == AddressFamily.InterNetwork ? v4 : v6).Add(ip);
            }
            var linkType = o["link_type"]?.GetValue<string>();
            list.Add(new GuestInterface(name, MacOrNull(o["address"]?.GetValue<string>()), v4, v6, linkType == "loopback"));
        }
        return list;
    }

    private static readonly Regex Header = new(@"^\d+:\s+([^:@\s]+)(?:@[^:\s]+)?:", RegexOptions.CultureInvariant);
    private static readonly Regex Link = new(@"^\s+link/(\S+)(?:\s+([0-9a-fA-F:]{17}))?", RegexOptions.CultureInvariant);
    private static readonly Regex Inet = new(@"^\s+inet6?\s+([0-9a-fA-F.:]+)(?:/\d+)?", RegexOptions.CultureInvariant);

    /// <summary>Parses the plain <c>ip addr show</c> text (iproute2 and busybox print the same layout).</summary>
    public static IReadOnlyList<GuestInterface> ParseText(string text)
    {
        var list = new List<GuestInterface>();
        string? name = null, mac = null;
        var loopback = false;
        List<IPAddress> v4 = new(), v6 = new();
        void Flush()
        {
            if (name is not null) list.Add(new GuestInterface(name, mac, v4, v6, loopback));
        }
        foreach (var raw in text.Replace("\r", "").Split('\n'))
        {
            if (Header.Match(raw) is { Success: true } h)
            {
                Flush();
                name = h.Groups[1].Value;
                mac = null;
                loopback = false;
                v4 = new List<IPAddress>();
                v6 = new List<IPAddress>();
            }
            else if (name is not null && Link.Match(raw) is { Success: true } l)
            {
                loopback = l.Groups[1].Value == "loopback";
                mac = MacOrNull(l.Groups[2].Success ? l.Groups[2].Value : null);
            }
            else if (name is not null && Inet.Match(raw) is { Success: true } i && IPAddress.TryParse(i.Groups[1].Value, out var ip))
            {
                (ip.AddressFamily == AddressFamily.InterNetwork ? v4 : v6).Add(ip);
            }
        }
        Flush();
        return list;
    }

    private static string? MacOrNull(string? mac)
    {
        if (mac is null || mac == "00:00:00:00:00:00") return null;
        try { return Resources.MacAddressPool.Normalize(mac); }
        catch (ArgumentException) { return null; }
    }
}
