namespace VirtTest.Core.Network;

/// <summary>Where a guest address was learned.</summary>
public enum AddressSource
{
    /// <summary>No source knows an address for the NIC (yet).</summary>
    None,

    /// <summary>The DHCP leases of the network's dnsmasq (a VirtTest test network).</summary>
    DhcpLease,

    /// <summary>The guest's own view: <c>ip -j addr</c> (or plain <c>ip addr</c>) over a session.</summary>
    Guest,
}
