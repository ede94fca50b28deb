using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace VirtTest.Core.Network;

/// <summary>An IPv4 network in CIDR form, e.g. 10.231.4.0/24.</summary>
public readonly record struct Ipv4Subnet
{
    private readonly uint _network;

    public Ipv4Subnet(IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetwork) throw new ArgumentException($"'{address}' is not an IPv4 address.", nameof(address));
        if (prefixLength is < 0 or > 32) throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, "An IPv4 prefix length is 0 to 32.");
        PrefixLength = prefixLength;
        _network = ToUInt(address) & Mask(prefixLength);
    }

    public int PrefixLength { get; }
    public IPAddress Network => FromUInt(_network);
    public IPAddress Netmask => FromUInt(Mask(PrefixLength));
    /// <summary>How many addresses the subnet spans (network and broadcast included).</summary>
    public long Size => 1L << (32 - PrefixLength);

    /// <summary>The address <paramref name="offset"/> past the network address (1 is the first host).</summary>
    public IPAddress Host(int offset)
    {
        if (offset <= 0 || offset >= Size - 1)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"{this} has host offsets 1 to {Size - 2}.");
        return FromUInt(_network + (uint)offset);
    }

    public bool Contains(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork && (ToUInt(address) & Mask(PrefixLength)) == _network;

    /// <summary>True when the two share any address.</summary>
    public bool Overlaps(Ipv4Subnet other)
    {
        var shorter = Math.Min(PrefixLength, other.PrefixLength);
        return (_network & Mask(shorter)) == (other._network & Mask(shorter));
    }

    /// <summary>Parses "10.231.4.0/24" (a bare address is a /32).</summary>
    public static Ipv4Subnet Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var slash = text.IndexOf('/');
        var addressText = slash < 0 ? text : text[..slash];
        var length = 32;
        // Four dotted parts: IPAddress alone also takes "10.1.2" (as 10.1.0.2).
        if (addressText.Count(c => c == '.') != 3 ||
            !IPAddress.TryParse(addressText.Trim(), out var address) || address.AddressFamily != AddressFamily.InterNetwork ||
            (slash >= 0 && !int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out length)) || length > 32)
            throw new FormatException($"'{text}' is not an IPv4 subnet (e.g. 10.231.4.0/24).");
        return new Ipv4Subnet(address, length);
    }

    public override string ToString() => Network + "/" + PrefixLength.ToString(CultureInfo.InvariantCulture);

    /// <summary>CIDR form of one address of the subnet, as <c>ip addr add</c> takes it (e.g. 10.231.4.1/24).</summary>
    public string Cidr(IPAddress address) => address + "/" + PrefixLength.ToString(CultureInfo.InvariantCulture);

    private static uint Mask(int length) => length == 0 ? 0u : uint.MaxValue << (32 - length);

    private static uint ToUInt(IPAddress a)
    {
        var b = a.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    private static IPAddress FromUInt(uint v) => new(new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v });
}
