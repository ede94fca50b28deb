using System.Runtime.InteropServices;

namespace VirtTest.Core.Backends.Libvirt;

/// <summary>One open libvirt connection (<c>virConnectPtr</c>) and the calls made on it.</summary>
internal sealed class LibvirtConnection : IDisposable
{
    private LibvirtConnection(string uri, ConnectHandle handle)
    {
        Uri = uri;
        Handle = handle;
        var type = LibvirtNative.virConnectGetType(handle);
        DriverType = type == IntPtr.Zero ? "" : Marshal.PtrToStringUTF8(type) ?? "";
    }

    public string Uri { get; }
    public ConnectHandle Handle { get; }
    /// <summary>The hypervisor driver behind the connection: "QEMU", "Test", "Xen", ...</summary>
    public string DriverType { get; }
    public bool IsQemu => string.Equals(DriverType, "QEMU", StringComparison.OrdinalIgnoreCase);

    /// <summary>Opens <paramref name="uri"/> (any libvirt URI, remote ones included: libvirt itself does the transport).</summary>
    public static LibvirtConnection Open(string uri)
    {
        LibvirtEventLoop.EnsureStarted();
        var handle = LibvirtNative.virConnectOpen(uri);
        if (handle.IsInvalid)
        {
            var error = LibvirtException.FromLastError($"open connection {uri}");
            handle.Dispose();
            throw error;
        }
        return new LibvirtConnection(uri, handle);
    }

    public DomainHandle Define(string xml)
    {
        var dom = LibvirtNative.virDomainDefineXML(Handle, xml);
        if (dom.IsInvalid)
        {
            var error = LibvirtException.FromLastError("define domain");
            dom.Dispose();
            throw error;
        }
        return dom;
    }

    /// <summary>The domain of that name, or null when there is none.</summary>
    public DomainHandle? TryLookup(string name)
    {
        var dom = LibvirtNative.virDomainLookupByName(Handle, name);
        if (!dom.IsInvalid) return dom;
        var error = LibvirtException.FromLastError($"look up domain '{name}'");
        dom.Dispose();
        if (error.Code == LibvirtException.VIR_ERR_NO_DOMAIN) return null;
        throw error;
    }

    public StreamHandle NewStream(uint flags)
    {
        var stream = LibvirtNative.virStreamNew(Handle, flags);
        if (stream.IsInvalid)
        {
            var error = LibvirtException.FromLastError("create stream");
            stream.Dispose();
            throw error;
        }
        return stream;
    }

    /// <summary>Throws the thread's last libvirt error when <paramref name="rc"/> is negative.</summary>
    public static void Check(int rc, string operation)
    {
        if (rc < 0) throw LibvirtException.FromLastError(operation);
    }

    public void Dispose() => Handle.Dispose();
}
