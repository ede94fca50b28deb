namespace VirtTest.Core.Network;

/// <summary>How to build a <see cref="TestNetwork"/>.</summary>
public sealed record TestNetworkOptions
{
    /// <summary>Run dnsmasq on the bridge so guests get addresses by DHCP (default yes).</summary>
    public bool Dhcp { get; init; } = true;

    /// <summary>
    /// Link the network to the host's namespace with a veth pair whose host end has an
    /// address in the subnet (default yes), so this process reaches guests with plain sockets
    /// (SSH, ping). Without it, host-side tools run inside the namespace.
    /// </summary>
    public bool HostLink { get; init; } = true;

    /// <summary>A /24 to use instead of a free one from the host-wide pool: reserved like those, and refused when another test network or a network of the host overlaps it.</summary>
    public Ipv4Subnet? Subnet { get; init; }

    /// <summary>DHCP lease time (minimum 2 minutes).</summary>
    public TimeSpan LeaseTime { get; init; } = TimeSpan.FromHours(1);
}
