using System.Runtime.InteropServices;

namespace VirtTest.Core.Backends.Libvirt;

/// <summary>
/// The libvirt C API functions this backend calls (<c>libvirt.so.0</c>, and
/// <c>libvirt-qemu.so.0</c> for the QEMU monitor pass-through). Bound by hand with P/Invoke:
/// the NuGet registry has no maintained .NET libvirt binding. Pointers that libvirt hands
/// over for the caller to free are wrapped in <see cref="SafeHandle"/>s or freed at once.
/// </summary>
internal static unsafe partial class LibvirtNative
{
    private const string Lib = "libvirt.so.0";
    private const string QemuLib = "libvirt-qemu.so.0";

    // virDomainCreateFlags, virDomainModificationImpact, virStreamFlags, virDomainConsoleFlags, ...
    public const uint VIR_DOMAIN_START_PAUSED = 1;
    public const uint VIR_DOMAIN_AFFECT_LIVE = 1;
    public const uint VIR_STREAM_NONBLOCK = 1;
    public const uint VIR_DOMAIN_CONSOLE_FORCE = 1;
    public const uint VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP = 1;
    public const uint VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN = 1;
    public const uint VIR_MIGRATE_LIVE = 1;
    public const uint VIR_MIGRATE_PERSIST_DEST = 8;
    public const uint VIR_MIGRATE_UNDEFINE_SOURCE = 16;
    public const int VIR_STREAM_EVENT_READABLE = 1;
    public const int VIR_STREAM_EVENT_WRITABLE = 2;
    public const int VIR_STREAM_EVENT_ERROR = 4;
    public const int VIR_STREAM_EVENT_HANGUP = 8;
    public const int VIR_DOMAIN_EVENT_ID_LIFECYCLE = 0;
    public const int VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED = 15;
    public const int VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2 = 16;

    // Disks, snapshots and block jobs (libvirt-domain.h, libvirt-domain-snapshot.h).
    public const uint VIR_DOMAIN_XML_MIGRATABLE = 8;
    public const uint VIR_MIGRATE_NON_SHARED_DISK = 64;
    public const uint VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA = 4;
    public const uint VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY = 16;
    public const uint VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC = 128;
    public const uint VIR_DOMAIN_BLOCK_COMMIT_ACTIVE = 4;
    public const uint VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT = 2;
    public const uint VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB = 4;
    // virDomainBlockJobType
    public const int VIR_DOMAIN_BLOCK_JOB_TYPE_PULL = 1, VIR_DOMAIN_BLOCK_JOB_TYPE_COPY = 2, VIR_DOMAIN_BLOCK_JOB_TYPE_COMMIT = 3, VIR_DOMAIN_BLOCK_JOB_TYPE_ACTIVE_COMMIT = 4;
    // virConnectDomainEventBlockJobStatus
    public const int VIR_DOMAIN_BLOCK_JOB_COMPLETED = 0, VIR_DOMAIN_BLOCK_JOB_FAILED = 1, VIR_DOMAIN_BLOCK_JOB_CANCELED = 2, VIR_DOMAIN_BLOCK_JOB_READY = 3;

    /// <summary>virDomainBlockInfo.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct BlockInfo
    {
        public ulong Capacity;
        public ulong Allocation;
        public ulong Physical;
    }

    /// <summary>virDomainBlockJobInfo (type, bandwidth as unsigned long, cursor and end).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct BlockJobInfo
    {
        public int Type;
        public nuint Bandwidth;
        public ulong Cur;
        public ulong End;
    }

    /// <summary>libvirt's <c>virError</c> struct (only the leading members are read).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct VirError
    {
        public int Code;
        public int Domain;
        public IntPtr Message;
        public int Level;
    }

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial ConnectHandle virConnectOpen(string? name);

    [LibraryImport(Lib)]
    public static partial int virConnectClose(IntPtr conn);

    [LibraryImport(Lib)]
    public static partial IntPtr virConnectGetType(ConnectHandle conn);

    [LibraryImport(Lib)]
    public static partial int virConnectGetLibVersion(ConnectHandle conn, out ulong version);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial DomainHandle virDomainDefineXML(ConnectHandle conn, string xml);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial DomainHandle virDomainLookupByName(ConnectHandle conn, string name);

    [LibraryImport(Lib)]
    public static partial int virDomainFree(IntPtr domain);

    [LibraryImport(Lib)]
    public static partial int virDomainCreateWithFlags(DomainHandle domain, uint flags);

    [LibraryImport(Lib)]
    public static partial int virDomainShutdownFlags(DomainHandle domain, uint flags);

    [LibraryImport(Lib)]
    public static partial int virDomainDestroy(DomainHandle domain);

    [LibraryImport(Lib)]
    public static partial int virDomainUndefineFlags(DomainHandle domain, uint flags);

    [LibraryImport(Lib)]
    public static partial int virDomainSuspend(DomainHandle domain);

    [LibraryImport(Lib)]
    public static partial int virDomainResume(DomainHandle domain);

    [LibraryImport(Lib)]
    public static partial int virDomainReset(DomainHandle domain, uint flags);

    [LibraryImport(Lib)]
    public static partial int virDomainGetState(DomainHandle domain, out int state, out int reason, uint flags);

    /// <summary>Returns a string the caller frees with <see cref="free"/>.</summary>
    [LibraryImport(Lib)]
    public static partial IntPtr virDomainGetXMLDesc(DomainHandle domain, uint flags);

    /// <summary>Migrates to the connection <paramref name="dconn"/>; returns the domain there.</summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial DomainHandle virDomainMigrate(DomainHandle domain, ConnectHandle dconn, uint flags, string? dname, string? uri, ulong bandwidth);

    [LibraryImport(Lib)]
    public static partial int virDomainAbortJob(DomainHandle domain);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virDomainAttachDeviceFlags(DomainHandle domain, string xml, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virDomainDetachDeviceFlags(DomainHandle domain, string xml, uint flags);

    /// <summary>Changes a device in place (a CD-ROM's medium: the same disk element with another or no source).</summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virDomainUpdateDeviceFlags(DomainHandle domain, string xml, uint flags);

    /// <summary>virDomainUpdateDeviceFlags: eject even when the guest locked the tray.</summary>
    public const uint VIR_DOMAIN_DEVICE_MODIFY_FORCE = 4;

    /// <summary>Returns the image's MIME type, which the caller frees with <see cref="free"/>.</summary>
    [LibraryImport(Lib)]
    public static partial IntPtr virDomainScreenshot(DomainHandle domain, StreamHandle stream, uint screen, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virDomainOpenConsole(DomainHandle domain, string? devName, StreamHandle stream, uint flags);

    [LibraryImport(Lib)]
    public static partial StreamHandle virStreamNew(ConnectHandle conn, uint flags);

    [LibraryImport(Lib)]
    public static partial int virStreamRecv(StreamHandle stream, byte* data, nuint nbytes);

    [LibraryImport(Lib)]
    public static partial int virStreamSend(StreamHandle stream, byte* data, nuint nbytes);

    [LibraryImport(Lib)]
    public static partial int virStreamFinish(StreamHandle stream);

    [LibraryImport(Lib)]
    public static partial int virStreamAbort(StreamHandle stream);

    [LibraryImport(Lib)]
    public static partial int virStreamFree(IntPtr stream);

    [LibraryImport(Lib)]
    public static partial int virStreamEventAddCallback(StreamHandle stream, int events,
        delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr, void> callback, IntPtr opaque, delegate* unmanaged[Cdecl]<IntPtr, void> freeCallback);

    [LibraryImport(Lib)]
    public static partial int virStreamEventRemoveCallback(StreamHandle stream);

    [LibraryImport(Lib)]
    public static partial int virConnectDomainEventRegisterAny(ConnectHandle conn, DomainHandle domain, int eventId,
        IntPtr callback, IntPtr opaque, delegate* unmanaged[Cdecl]<IntPtr, void> freeCallback);

    [LibraryImport(Lib)]
    public static partial int virConnectDomainEventDeregisterAny(ConnectHandle conn, int callbackId);

    [LibraryImport(Lib)]
    public static partial int virEventRegisterDefaultImpl();

    [LibraryImport(Lib)]
    public static partial int virEventRunDefaultImpl();

    /// <summary>The calling thread's last error (owned by libvirt, valid until the next call on this thread).</summary>
    [LibraryImport(Lib)]
    public static partial IntPtr virGetLastError();

    [LibraryImport(Lib)]
    public static partial void virResetLastError();

    /// <summary>Replaces libvirt's default error handler, which prints every error to stderr.</summary>
    [LibraryImport(Lib)]
    public static partial void virSetErrorFunc(IntPtr userData, delegate* unmanaged[Cdecl]<IntPtr, IntPtr, void> handler);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virDomainGetBlockInfo(DomainHandle domain, string disk, out BlockInfo info, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr virDomainSnapshotCreateXML(DomainHandle domain, string xml, uint flags);

    [LibraryImport(Lib)]
    public static partial int virDomainSnapshotFree(IntPtr snapshot);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virDomainBlockRebase(DomainHandle domain, string disk, string? baseImage, nuint bandwidth, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virDomainBlockCommit(DomainHandle domain, string disk, string? baseImage, string? top, nuint bandwidth, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virDomainBlockCopy(DomainHandle domain, string disk, string destXml, IntPtr parameters, int nparams, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virDomainGetBlockJobInfo(DomainHandle domain, string disk, out BlockJobInfo info, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virDomainBlockJobAbort(DomainHandle domain, string disk, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virDomainBlockJobSetSpeed(DomainHandle domain, string disk, nuint bandwidth, uint flags);

    [LibraryImport(Lib)]
    public static partial DomainHandle virDomainMigrate3(DomainHandle domain, ConnectHandle dconn, IntPtr parameters, uint nparams, uint flags);

    /// <summary>Appends a string parameter to a typed-parameter list libvirt allocates (free it with virTypedParamsFree).</summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virTypedParamsAddString(ref IntPtr parameters, ref int nparams, ref int maxparams, string name, string value);

    [LibraryImport(Lib)]
    public static partial void virTypedParamsFree(IntPtr parameters, int nparams);

    [LibraryImport(QemuLib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int virDomainQemuMonitorCommand(DomainHandle domain, string cmd, out IntPtr result, uint flags);

    // virDomainInterfaceAddressesSource, virIPAddrType
    public const uint VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE = 0;
    public const uint VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT = 1;
    public const uint VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP = 2;
    public const int VIR_IP_ADDR_TYPE_IPV4 = 0;

    /// <summary>libvirt's <c>virDomainInterface</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct VirDomainInterface
    {
        public IntPtr Name;
        public IntPtr HwAddr;
        public uint AddressCount;
        public IntPtr Addresses;
    }

    /// <summary>libvirt's <c>virDomainIPAddress</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct VirDomainIPAddress
    {
        public int Type;
        public IntPtr Address;
        public uint Prefix;
    }

    /// <summary>Returns the count of interfaces in <paramref name="ifaces"/> (an array the caller frees, each entry with <see cref="virDomainInterfaceFree"/>), or -1.</summary>
    [LibraryImport(Lib)]
    public static partial int virDomainInterfaceAddresses(DomainHandle domain, out IntPtr ifaces, uint source, uint flags);

    [LibraryImport(Lib)]
    public static partial void virDomainInterfaceFree(IntPtr iface);

    [LibraryImport("libc")]
    public static partial void free(IntPtr ptr);

    /// <summary>Copies a string libvirt allocated for the caller, then frees it.</summary>
    public static string? TakeString(IntPtr p)
    {
        if (p == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { free(p); }
    }
}
