using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace VirtTest.Core.Network;

/// <summary>
/// One lease of a dnsmasq lease file. IPv4 lines read
/// <c>expiry mac address hostname client-id</c>; after the <c>duid</c> line, IPv6 lines read
/// <c>expiry iaid address hostname client-id</c> (no MAC). Expiry is Unix seconds, 0 for
/// an infinite lease; hostname and client id are <c>*</c> when unknown.
/// </summary>
public sealed record DnsmasqLease(DateTimeOffset? Expires, string? MacAddress, IPAddress Address, string? Hostname, string? ClientId)
{
    public bool IsIPv6 => Address.AddressFamily == AddressFamily.InterNetworkV6;

    /// <summary>Parses a lease file's text; lines it does not understand are skipped.</summary>
    public static IReadOnlyList<DnsmasqLease> Parse(string text)
    {
        var leases = new List<DnsmasqLease>();
        var ipv6 = false;
        foreach (var raw in text.Split('\n'))
        {
            var f = raw.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 0) continue;
            if (f[0] == "duid")
            {
                ipv6 = true;
                continue;
            }
            if (f.Length < 3 || !long.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var expiry)) continue;
            if (!IPAddress.TryParse(f[2], out var address)) continue;
            string? mac = null;
            if (!ipv6)
            {
                try { mac = Resources.MacAddressPool.Normalize(f[1]); }
                catch (ArgumentException) { continue; } // an InfiniBand or other non-Ethernet hardware address
            }
            leases.Add(new DnsmasqLease(
                expiry == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(expiry),
                mac,
                address,
                f.Length > 3 && f[3] != "*" ? f[3] : null,
                f.Length > 4 && f[4] != "*" ? f[4] : null));
        }
        return leases;
    }

    /// <summary>Reads a lease file; a missing file has no leases (dnsmasq creates it on start).</summary>
    public static IReadOnlyList<DnsmasqLease> Read(string path)
    {
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(fs);
            return Parse(reader.ReadToEnd());
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Array.Empty<DnsmasqLease>();
        }
    }
}
