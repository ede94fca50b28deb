using System.Net;
using System.Runtime.InteropServices;
using VirtTest.Core.Network;

namespace VirtTest.Core.Backends.Libvirt;

/// <summary>
/// libvirt's <c>virDomainInterfaceAddresses</c>: the domain's interfaces (host-side names,
/// MACs) and the addresses one source knows, copied out of libvirt's structs and freed.
/// </summary>
internal static class LibvirtInterfaceAddresses
{
    public static unsafe IReadOnlyList<GuestInterface> Query(DomainHandle dom, uint source)
    {
        var count = LibvirtNative.virDomainInterfaceAddresses(dom, out var array, source, 0);
        LibvirtConnection.Check(count, "read the interface addresses");
        var result = new List<GuestInterface>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var entry = Marshal.ReadIntPtr(array, i * IntPtr.Size);
                var iface = Marshal.PtrToStructure<LibvirtNative.VirDomainInterface>(entry);
                var v4 = new List<IPAddress>();
                var v6 = new List<IPAddress>();
                for (var a = 0; a < iface.AddressCount; a++)
                {
                    var address = Marshal.PtrToStructure<LibvirtNative.VirDomainIPAddress>(iface.Addresses + a * sizeof(LibvirtNative.VirDomainIPAddress));
                    if (Marshal.PtrToStringUTF8(address.Address) is { } text && IPAddress.TryParse(text, out var ip))
                        (address.Type == LibvirtNative.VIR_IP_ADDR_TYPE_IPV4 ? v4 : v6).Add(ip);
                }
                var mac = Marshal.PtrToStringUTF8(iface.HwAddr);
                string? normalized = null;
                if (mac is not null)
                {
                    try { normalized = Resources.MacAddressPool.Normalize(mac); }
                    catch (ArgumentException) { }
                }
                result.Add(new GuestInterface(Marshal.PtrToStringUTF8(iface.Name) ?? "", normalized, v4, v6, false));
            }
        }
        finally
        {
            for (var i = 0; i < count; i++) LibvirtNative.virDomainInterfaceFree(Marshal.ReadIntPtr(array, i * IntPtr.Size));
            if (array != IntPtr.Zero) LibvirtNative.free(array);
        }
        return result;
    }
}
