using System.Runtime.InteropServices;

namespace VirtTest.Core.Backends.Libvirt;

/// <summary>A <c>virConnectPtr</c>; closing it drops this reference to the connection.</summary>
internal sealed class ConnectHandle : SafeHandle
{
    public ConnectHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => LibvirtNative.virConnectClose(handle) >= 0;
}

/// <summary>A <c>virDomainPtr</c> (a reference to a domain object, not the domain's life).</summary>
internal sealed class DomainHandle : SafeHandle
{
    public DomainHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => LibvirtNative.virDomainFree(handle) == 0;
}

/// <summary>A <c>virStreamPtr</c>; finish or abort it before releasing.</summary>
internal sealed class StreamHandle : SafeHandle
{
    public StreamHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => LibvirtNative.virStreamFree(handle) == 0;
}
