using System.Runtime.InteropServices;
using VirtTest.Core.Monitor;

namespace VirtTest.Core.Backends.Libvirt;

/// <summary>
/// A libvirt API call failed. Carries libvirt's own error code (<c>virErrorNumber</c>, e.g.
/// 38 = system error, 9 = operation failed, 27 = XML error), error domain
/// (<c>virErrorDomain</c>, which part of libvirt raised it) and message.
/// </summary>
public sealed class LibvirtException : MonitorException
{
    /// <inheritdoc />
    public override string ErrorId => "Libvirt";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidOperation;

    public LibvirtException(string operation, int code, int domain, string libvirtMessage)
        : base($"libvirt: {operation} failed: {libvirtMessage} (error code {code}, domain {domain}).")
    {
        Operation = operation;
        Code = code;
        ErrorDomain = domain;
        LibvirtMessage = libvirtMessage;
    }

    /// <summary>What was being done, e.g. "open connection qemu:///system".</summary>
    public string Operation { get; }
    /// <summary>libvirt's <c>virErrorNumber</c>.</summary>
    public int Code { get; }
    /// <summary>libvirt's <c>virErrorDomain</c> (not a VM: the libvirt component that failed).</summary>
    public int ErrorDomain { get; }
    /// <summary>libvirt's message text, as it gave it.</summary>
    public string LibvirtMessage { get; }

    /// <summary>libvirt's error numbers this code checks for.</summary>
    public const int VIR_ERR_NO_DOMAIN = 42;
    public const int VIR_ERR_OPERATION_INVALID = 55;

    /// <summary>Builds the exception from the calling thread's last libvirt error (call right after the failing call).</summary>
    internal static LibvirtException FromLastError(string operation)
    {
        var p = LibvirtNative.virGetLastError();
        if (p == IntPtr.Zero) return new LibvirtException(operation, -1, -1, "no error information from libvirt");
        var e = Marshal.PtrToStructure<LibvirtNative.VirError>(p);
        var text = e.Message == IntPtr.Zero ? "no message" : Marshal.PtrToStringUTF8(e.Message) ?? "no message";
        LibvirtNative.virResetLastError();
        return new LibvirtException(operation, e.Code, e.Domain, text);
    }
}
