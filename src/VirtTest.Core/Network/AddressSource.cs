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

    /// <summary>libvirt's interface-address API, from the DHCP leases of the libvirt network.</summary>
    LibvirtLease,

    /// <summary>libvirt's interface-address API, from the QEMU guest agent (needs the agent in the guest).</summary>
    LibvirtAgent,

    /// <summary>libvirt's interface-address API, from the ARP table of libvirt's host.</summary>
    LibvirtArp,
}
