using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// How Xen virtualises a guest (param <c>xen_guest_type</c>). HVM is the default: it boots
/// an unmodified guest with emulated firmware, disks and NICs, as the QEMU backend's params
/// describe them; PV needs a Xen-aware kernel given by param <c>kernel</c>; PVH boots such a
/// kernel in a hardware-virtualised container without emulated devices (PV disks, NICs and
/// console, no device model).
/// </summary>
public enum XenGuestType
{
    Hvm,
    Pv,
    Pvh,
}

/// <summary>Reads <c>xen_guest_type</c>.</summary>
public static class XenGuestTypes
{
    public const string Param = "xen_guest_type";
    public static readonly IReadOnlyList<string> Choices = new[] { "hvm", "pv", "pvh" };

    public static XenGuestType From(VirtParams vmParams, string vmName = "") =>
        (vmParams.Get(Param) ?? "") switch
        {
            "" or "hvm" => XenGuestType.Hvm,
            "pv" => XenGuestType.Pv,
            "pvh" => XenGuestType.Pvh,
            var other => throw new VmParamException(vmName, Param, other, "not a Xen guest type the backend supports", Choices),
        };

    /// <summary>The value of xl.cfg's <c>type</c> key.</summary>
    public static string XlType(this XenGuestType type) => type switch
    {
        XenGuestType.Pv => "pv",
        XenGuestType.Pvh => "pvh",
        _ => "hvm",
    };

    /// <summary>PV and PVH: paravirtual devices only (xvd disks, netfront NICs, the PV console), a kernel from params.</summary>
    public static bool IsParavirtual(this XenGuestType type) => type != XenGuestType.Hvm;
}
