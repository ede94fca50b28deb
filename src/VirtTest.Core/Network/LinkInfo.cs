using System.Text.Json.Nodes;

namespace VirtTest.Core.Network;

/// <summary>
/// One network interface as <c>ip -d -j link show</c> describes it.
/// </summary>
/// <param name="Name">Interface name (without the <c>@peer</c> suffix plain <c>ip link</c> shows).</param>
/// <param name="Index">Interface index.</param>
/// <param name="Kind">The link type (<c>bridge</c>, <c>veth</c>, <c>tun</c>, ...); empty for a physical or loopback device.</param>
/// <param name="Master">The bridge it is a port of, if any.</param>
/// <param name="MacAddress">Its hardware address.</param>
/// <param name="IsUp">Administratively up (flag UP).</param>
/// <param name="OperState">Operational state (UP, DOWN, UNKNOWN...).</param>
/// <param name="TunType">For a tun device: <c>tap</c> or <c>tun</c>.</param>
/// <param name="MultiQueue">For a tun device: created with multi_queue.</param>
/// <param name="NetworkNamespace">The namespace it was listed in; null for the host's.</param>
public sealed record LinkInfo(
    string Name,
    int Index,
    string Kind,
    string? Master,
    string? MacAddress,
    bool IsUp,
    string OperState,
    string? TunType,
    bool MultiQueue,
    string? NetworkNamespace)
{
    public bool IsBridge => Kind == "bridge";
    public bool IsTap => Kind == "tun" && TunType == "tap";
    public bool IsVeth => Kind == "veth";

    /// <summary>Parses the JSON array <c>ip -d -j link show</c> prints.</summary>
    public static IReadOnlyList<LinkInfo> Parse(JsonArray links, string? networkNamespace)
    {
        var list = new List<LinkInfo>(links.Count);
        foreach (var node in links)
        {
            if (node is not JsonObject o || o["ifname"]?.GetValue<string>() is not { } name) continue;
            var info = o["linkinfo"] as JsonObject;
            var data = info?["info_data"] as JsonObject;
            var flags = (o["flags"] as JsonArray)?.Select(f => f?.GetValue<string>()).ToList() ?? new List<string?>();
            list.Add(new LinkInfo(
                name,
                o["ifindex"]?.GetValue<int>() ?? 0,
                info?["info_kind"]?.GetValue<string>() ?? "",
                o["master"]?.GetValue<string>(),
                o["address"]?.GetValue<string>(),
                flags.Contains("UP"),
                o["operstate"]?.GetValue<string>() ?? "UNKNOWN",
                data?["type"]?.GetValue<string>(),
                data?["multi_queue"]?.GetValue<bool>() ?? false,
                networkNamespace));
        }
        return list;
    }
}
