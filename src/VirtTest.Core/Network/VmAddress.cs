using System.Net;

namespace VirtTest.Core.Network;

/// <summary>
/// The addresses of one NIC of a VM, as one source reports them.
/// </summary>
/// <param name="VmName">The VM.</param>
/// <param name="Nic">The NIC's name in the VM's params (<c>nics</c>), or null for an interface only the guest reported.</param>
/// <param name="MacAddress">The NIC's MAC address (lower case, colons), when known.</param>
/// <param name="IPv4Address">IPv4 addresses (may be empty).</param>
/// <param name="IPv6Address">IPv6 addresses, link-local ones included (may be empty).</param>
/// <param name="Source">Where the addresses come from.</param>
/// <param name="GuestInterface">The guest's name for the interface (e.g. eth0), when the guest was asked.</param>
/// <param name="Network">The test network or bridge the NIC is on, when known.</param>
public sealed record VmAddress(
    string VmName,
    string? Nic,
    string? MacAddress,
    IReadOnlyList<IPAddress> IPv4Address,
    IReadOnlyList<IPAddress> IPv6Address,
    AddressSource Source,
    string? GuestInterface,
    string? Network)
{
    /// <summary>The first IPv4 address, else the first global IPv6 one, else null: what a connection would use.</summary>
    public IPAddress? PreferredAddress =>
        IPv4Address.FirstOrDefault() ?? IPv6Address.FirstOrDefault(a => !a.IsIPv6LinkLocal);

    public bool HasAddress => IPv4Address.Count > 0 || IPv6Address.Count > 0;

    public override string ToString() =>
        $"{VmName} {Nic ?? GuestInterface ?? "?"} {MacAddress ?? "?"}: {string.Join(", ", IPv4Address.Concat(IPv6Address))} ({Source})";
}
